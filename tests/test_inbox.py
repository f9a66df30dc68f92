"""The intake inbox (待派单) API: what waits in `accepted`, claims that lapse, and the five elements."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from hotline.extensions import db
from hotline.models import OutboxMessage, TicketClaim
from tests.conftest import new_ticket_body


def test_inbox_lists_waiting_tickets_oldest_first_with_suggestion_duplicates_and_elements(api, make_ticket):
    op = api.as_("operator")
    first = op.post("/tickets", new_ticket_body(channel="web")).get_json()
    second = op.post("/tickets", new_ticket_body(channel="sms", category=None, address=None)).get_json()
    make_ticket("dispatched")  # not waiting
    returned = make_ticket("return_pending")
    api.as_("supervisor").act(returned["id"], "approve-return")
    r = op.get("/inbox")
    assert r.status_code == 200
    body = r.get_json()
    ids = [t["id"] for t in body["items"]]
    assert ids == [first["id"], second["id"], returned["id"]] and body["total"] == 3
    by_id = {t["id"]: t for t in body["items"]}
    assert by_id[first["id"]]["channel"] == "web" and by_id[first["id"]]["missing_elements"] == []
    assert by_id[second["id"]]["missing_elements"] == ["where", "cause"]
    assert by_id[returned["id"]]["returned"] is True and by_id[first["id"]]["returned"] is False
    # The same caller and text: each is a possible duplicate of the others.
    assert second["id"] in [d["id"] for d in by_id[first["id"]]["duplicates"]]
    assert by_id[first["id"]]["suggestion"]["department"]
    assert api.as_("dept_cgj").get("/inbox").status_code == 403
    # Paging with a stable order.
    p2 = op.get("/inbox?per_page=2&page=2").get_json()
    assert [t["id"] for t in p2["items"]] == [returned["id"]]


def test_claims_are_exclusive_renewed_by_the_holder_and_lapse_after_ten_idle_minutes(api, app, make_ticket):
    t = make_ticket("accepted")
    op, sup = api.as_("operator"), api.as_("supervisor")
    r = op.post(f"/inbox/{t['id']}/claim")
    assert r.status_code == 200 and r.get_json()["claimed_by"] == "operator"
    until = dt.datetime.fromisoformat(r.get_json()["claimed_until"].replace("Z", "+00:00"))
    assert dt.timedelta(minutes=9) < until - dt.datetime.now(dt.UTC) <= dt.timedelta(minutes=10)
    with app.app_context():
        ev = [
            m.payload
            for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "socket"))
            if m.payload["event"]["op"] == "claimed"
        ]
    assert len(ev) == 1 and set(ev[0]["rooms"]) == {"operators", "supervisors"}
    item = op.get("/inbox").get_json()["items"][0]
    assert item["claim"]["by"] == "operator" and item["claim"]["mine"] is True
    assert sup.get("/inbox").get_json()["items"][0]["claim"]["mine"] is False

    # Another operator cannot take it nor act on it while the claim holds (the users are reset after the test).
    with app.app_context():
        from hotline.models import User

        other = User(username="operator2", display_name="话务员二", role="operator", active=True)
        other.set_password("x" * 12)
        db.session.add(other)
        db.session.commit()
    op2 = api.as_("operator2")
    r = op2.post(f"/inbox/{t['id']}/claim")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "claimed"
    r = op2.act(t["id"], "dispatch", {"department": "XC-CGJ"})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "claimed"
    # The holder's correction renews the claim.
    with app.app_context():
        db.session.execute(update(TicketClaim).values(expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)))
        db.session.commit()
    assert op.act(t["id"], "reclassify", {"urgency": "urgent", "reason": "燃气"}).status_code == 200
    with app.app_context():
        left = db.session.scalar(select(TicketClaim.expires_at)) - dt.datetime.now(dt.UTC)
    assert left > dt.timedelta(minutes=9)
    # Ten idle minutes later the claim has lapsed: the other operator takes the ticket.
    with app.app_context():
        db.session.execute(update(TicketClaim).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
        db.session.commit()
    assert op.get("/inbox").get_json()["items"][0]["claim"] is None
    assert op2.post(f"/inbox/{t['id']}/claim").status_code == 200
    # Dispatching ends the claim; the ticket leaves the inbox.
    assert op2.act(t["id"], "dispatch", {"department": "XC-CGJ"}).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(TicketClaim)) is None
    assert op.get("/inbox").get_json()["items"] == []
    assert op.post(f"/inbox/{t['id']}/claim").status_code == 409


def test_release_and_supervisor_override(api, make_ticket):
    t = make_ticket("accepted")
    op, sup = api.as_("operator"), api.as_("supervisor")
    assert op.post(f"/inbox/{t['id']}/claim").status_code == 200
    # A supervisor may act on a claimed ticket (the claim ends with it).
    assert sup.act(t["id"], "reclassify", {"type": "report", "reason": "举报"}).status_code == 200
    r = api.client.delete(
        f"/api/v1/inbox/{t['id']}/claim", headers={"Authorization": f"Bearer {api.token('operator')}"}
    )
    assert r.status_code == 204
    assert op.get("/inbox").get_json()["items"][0]["claim"] is None


def test_leaving_or_entering_accepted_tells_the_operators(api, app, make_ticket):
    t = make_ticket("accepted")
    api.as_("operator").act(t["id"], "dispatch", {"department": "XC-CGJ"})
    api.as_("dept_cgj").act(t["id"], "sign")
    with app.app_context():
        rows = [m.payload for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "socket"))]
    # (notices to the department are ticket events too, op "notice": not what this test is about)
    by_action = {p["event"]["action"]: p["rooms"] for p in rows if p["event"]["op"] != "notice"}
    assert "operators" in by_action["dispatch"] and "operators" not in by_action["sign"]
