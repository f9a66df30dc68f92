"""Receipt SMS (number + retrieval code) go only to mainland mobiles, at most 3 a day to one number (issue 14)."""

from __future__ import annotations

from sqlalchemy import select

from hotline.extensions import db
from hotline.models import OutboxMessage
from hotline.outbox import job_args
from hotline.receipts import mainland_mobile
from tests.conftest import new_ticket_body


def _receipts(app) -> list[list]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage.payload).order_by(OutboxMessage.id))
        return [job_args(p) for p in rows if p.get("func") == "hotline.tasks.notify.send_sms"]


def test_mainland_mobile():
    assert mainland_mobile("13812345678") == "+8613812345678"
    assert mainland_mobile("+86 138-1234-5678") == "+8613812345678"
    assert mainland_mobile("0563-2345678") is None  # a landline
    assert mainland_mobile("+85291234567") is None  # Hong Kong
    assert mainland_mobile("+12025550123") is None
    assert mainland_mobile("12345") is None
    assert mainland_mobile("") is None


def test_no_receipt_to_a_landline_or_a_foreign_number(app, api):
    op = api.as_("operator")
    for phone in ("0563-2345678", "+12025550123"):
        assert op.post("/tickets", new_ticket_body(channel="web", caller_phone=phone)).status_code == 201
    assert _receipts(app) == []
    assert op.post("/tickets", new_ticket_body(channel="web", caller_phone="13812345678")).status_code == 201
    assert len(_receipts(app)) == 1


def test_at_most_three_receipts_a_day_to_one_number(app, api):
    op = api.as_("operator")
    for _ in range(5):
        assert op.post("/tickets", new_ticket_body(channel="web", caller_phone="13812345670")).status_code == 201
    assert op.post("/tickets", new_ticket_body(channel="web", caller_phone="13812345671")).status_code == 201
    sent_to = [args[0] for args in _receipts(app)]
    assert sent_to.count("+8613812345670") == 3 and sent_to.count("+8613812345671") == 1
