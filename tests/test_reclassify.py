"""更正 (action `reclassify`) and the intake's `occurred_at`, through the JSON API."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from hotline.extensions import db
from hotline.models import OutboxMessage
from tests.conftest import new_ticket_body


def _at(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))


def test_operator_corrects_an_sms_about_a_gas_leak_before_dispatch(api):
    op = api.as_("operator")
    t = op.post("/tickets", new_ticket_body(channel="sms", type="help", urgency="normal", category=None)).get_json()
    r = op.act(
        t["id"],
        "reclassify",
        {
            "urgency": "urgent",
            "type": "report",
            "category": "010204",
            "title": "燃气泄漏",
            "reason": "短信描述为燃气泄漏",
        },
    )
    assert r.status_code == 200, r.get_json()
    t = r.get_json()
    assert (t["urgency"], t["type"], t["category"], t["title"]) == ("urgent", "report", "010204", "燃气泄漏")
    ev = t["timeline"][-1]
    assert ev["action"] == "reclassify" and ev["actor"] == "operator" and ev["note"] == "短信描述为燃气泄漏"
    assert ev["data"]["changes"] == {
        "urgency": {"old": "normal", "new": "urgent"},
        "type": {"old": "help", "new": "report"},
        "title": {"old": None, "new": "燃气泄漏"},
        "category": {"old": None, "new": "010204"},
    }
    # Dispatched now, the sign clock is the urgent one: 30 natural minutes.
    t = op.act(t["id"], "dispatch", {"department": "XC-CGJ"}).get_json()
    assert _at(t["sign_due_at"]) - _at(t["dispatched_at"]) == dt.timedelta(minutes=30)


def test_supervisor_reclassify_recomputes_running_clocks_and_tells_the_department(api, app, make_ticket):
    t = make_ticket("in_progress")
    assert _at(t["due_at"]) - _at(t["signed_at"]) > dt.timedelta(days=4)  # complaint, normal: 5 working days
    # Operators may not correct after dispatch.
    r = api.as_("operator").act(t["id"], "reclassify", {"urgency": "critical", "reason": "燃气"})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "supervisor_required"
    with app.app_context():
        before = db.session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()).limit(1)) or 0
    r = api.as_("supervisor").act(t["id"], "reclassify", {"urgency": "critical", "reason": "涉及燃气安全"})
    assert r.status_code == 200, r.get_json()
    t = r.get_json()
    assert t["urgency"] == "critical"
    assert _at(t["due_at"]) - _at(t["signed_at"]) == dt.timedelta(hours=2)  # critical: 2 hours
    ev = t["timeline"][-1]
    assert ev["data"]["changes"] == {"urgency": {"old": "normal", "new": "critical"}}
    assert ev["data"]["deadlines"]["due_at"]
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.id > before)).all()
        sockets = [r.payload for r in rows if r.kind == "socket"]
        jobs = [r.payload for r in rows if r.kind == "job"]
    told = [p for p in sockets if p["event"]["action"] == "reclassify"]
    assert len(told) == 1 and "dept:XC-CGJ" in told[0]["rooms"]
    assert told[0]["event"]["due_at"] == _at(t["due_at"]).isoformat()
    # The deadline checks are rescheduled at the new instants (warning, due, public notice).
    due_jobs = [j for j in jobs if j["func"] == "hotline.tasks.deadlines.check_ticket"]
    assert _at(t["due_at"]).isoformat() in {j["at"] for j in due_jobs}


def test_sign_clock_recomputed_while_waiting_for_signature(api, make_ticket):
    t = make_ticket("dispatched")
    t = api.as_("supervisor").act(t["id"], "reclassify", {"urgency": "urgent", "reason": "升级"}).get_json()
    assert _at(t["sign_due_at"]) - _at(t["dispatched_at"]) == dt.timedelta(minutes=30)


def test_bad_values_answer_422_naming_the_field(api, make_ticket):
    t = make_ticket("accepted")
    op = api.as_("operator")
    cases = [
        ({"urgency": "very", "reason": "x"}, "urgency"),
        ({"type": "rant", "reason": "x"}, "type"),
        ({"category": "999999", "reason": "x"}, "category"),
        ({"region": "000", "reason": "x"}, "region"),
        ({"title": "长" * 101, "reason": "x"}, "title"),
        ({"urgency": "urgent"}, "reason"),
        ({"reason": "nothing given"}, "urgency"),
        ({"urgency": "normal", "reason": "same as before"}, "urgency"),
    ]
    for body, field in cases:
        r = op.act(t["id"], "reclassify", body)
        assert r.status_code == 422, (body, r.get_json())
        assert field in r.get_json()["error"]["fields"], (body, r.get_json())
    assert [e["action"] for e in api.as_("operator").get(f"/tickets/{t['id']}").get_json()["timeline"]] == ["create"]


def test_closed_tickets_and_departments_cannot_reclassify(api, make_ticket):
    closed = make_ticket("closed")
    r = api.as_("supervisor").act(closed["id"], "reclassify", {"urgency": "urgent", "reason": "x"})
    assert r.status_code == 409
    t = make_ticket("in_progress")
    assert api.as_("dept_cgj").act(t["id"], "reclassify", {"urgency": "urgent", "reason": "x"}).status_code == 403
    assert "reclassify" not in api.as_("operator").get(f"/tickets/{t['id']}").get_json()["available_actions"]
    assert "reclassify" in api.as_("supervisor").get(f"/tickets/{t['id']}").get_json()["available_actions"]


def test_occurred_at_is_optional_and_defaults_to_the_intake_time(api):
    op = api.as_("operator")
    t = op.post("/tickets", new_ticket_body()).get_json()
    assert t["occurred_at"] == t["created_at"]
    t = op.post("/tickets", new_ticket_body(occurred_at="2026-12-01T08:30:00+08:00")).get_json()
    assert t["occurred_at"] == "2026-12-01T00:30:00Z"
    assert op.get(f"/tickets/{t['id']}").get_json()["occurred_at"] == "2026-12-01T00:30:00Z"
    for bad in ("yesterday", "2026-12-01T08:30:00", "2999-01-01T00:00:00Z", 5):
        r = op.post("/tickets", new_ticket_body(occurred_at=bad))
        assert r.status_code == 422 and "occurred_at" in r.get_json()["error"]["fields"], bad
