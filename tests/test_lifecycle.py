"""The whole lifecycle through the JSON API, as the people who use it would drive it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hotline.extensions import db
from hotline.models import OutboxMessage, TimelineEvent
from tests.conftest import new_ticket_body


def actions_of(ticket: dict) -> list[str]:
    return [e["action"] for e in ticket["timeline"]]


def test_happy_path_dispatch_sign_reply_approve_callback_closed(api):
    op, dept, sup = api.as_("operator"), api.as_("dept_cgj"), api.as_("supervisor")
    r = op.post("/tickets", new_ticket_body())
    assert r.status_code == 201
    t = r.get_json()
    assert t["status"] == "accepted" and t["number"].startswith("XC") and len(t["number"]) == 15
    assert t["retrieval_code"].isdigit() and len(t["retrieval_code"]) == 6
    assert t["caller_phone"] == "+8613812345678"  # the centre sees the full number

    t = op.act(t["id"], "dispatch", {"department": "XC-CGJ", "assisting": ["XC-STHJJ"]}).get_json()
    assert t["status"] == "dispatched" and t["department"] == "XC-CGJ" and t["assisting"] == ["XC-STHJJ"]
    assert t["sign_due_at"] and t["due_at"] is None

    t = dept.act(t["id"], "sign").get_json()
    assert t["status"] == "in_progress" and t["due_at"] and t["caller_phone"] == "138****5678"

    t = dept.act(t["id"], "reply", {"text": "已维修完毕"}).get_json()
    assert t["status"] == "reply_review"
    t = sup.act(t["id"], "approve-reply").get_json()
    assert t["status"] == "callback_pending"
    t = op.act(t["id"], "record-callback", {"resolved": 1, "satisfaction": 1}).get_json()
    assert t["status"] == "closed"
    assert actions_of(t) == ["create", "dispatch", "sign", "reply", "approve-reply", "callback", "record-callback"]
    last = t["timeline"][-1]
    assert last["from_status"] == "callback_pending" and last["to_status"] == "closed"
    assert last["actor"] == "operator"


def test_return_then_redispatch(api, make_ticket):
    t = make_ticket("return_pending")
    sup = api.as_("supervisor")
    t = sup.act(t["id"], "approve-return").get_json()
    assert t["status"] == "accepted" and t["department"] is None and t["sign_due_at"] is None
    # the department no longer sees it
    assert api.as_("dept_cgj").get(f"/tickets/{t['id']}").status_code == 404
    t = api.as_("operator").act(t["id"], "dispatch", {"department": "XC-STHJJ"}).get_json()
    assert t["status"] == "dispatched" and t["department"] == "XC-STHJJ" and t["dispatch_rounds"] == 2
    assert api.as_("dept_sthjj").act(t["id"], "sign").status_code == 200


def test_rejected_return_goes_back_to_the_same_department(api, make_ticket):
    t = make_ticket("return_pending")
    t = api.as_("supervisor").act(t["id"], "reject-return", {"note": "属于职责范围"}).get_json()
    assert t["status"] == "dispatched" and t["department"] == "XC-CGJ"
    assert api.as_("dept_cgj").act(t["id"], "sign").status_code == 200


def test_return_needs_a_standard_reason(api, make_ticket):
    t = make_ticket("dispatched")
    r = api.as_("dept_cgj").act(t["id"], "return", {"reason": "too busy"})
    assert r.status_code == 422 and "reason" in r.get_json()["error"]["fields"]


def test_fourth_dispatch_needs_a_supervisor_and_cannot_be_returned(api, make_ticket):
    t = make_ticket("dispatched")
    op, sup, dept = api.as_("operator"), api.as_("supervisor"), api.as_("dept_cgj")
    for _ in range(2):
        dept.act(t["id"], "return", {"reason": "ownership_unclear"})
        sup.act(t["id"], "approve-return")
        assert op.act(t["id"], "dispatch", {"department": "XC-CGJ"}).status_code == 200
    dept.act(t["id"], "return", {"reason": "ownership_unclear"})
    sup.act(t["id"], "approve-return")
    r = op.act(t["id"], "dispatch", {"department": "XC-CGJ"})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "arbitration_required"
    t = sup.act(t["id"], "dispatch", {"department": "XC-CGJ"}).get_json()
    assert t["designated"] is True and t["dispatch_rounds"] == 4
    r = dept.act(t["id"], "return", {"reason": "ownership_unclear"})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "designated"


def test_extension_approved_moves_the_due_time(api, make_ticket):
    t = make_ticket("in_progress")
    dept, sup = api.as_("dept_cgj"), api.as_("supervisor")
    t2 = dept.act(t["id"], "request-extension", {"days": 5, "reason": "需协调施工单位"}).get_json()
    assert t2["status"] == "in_progress" and t2["paused"] is True
    t3 = sup.act(t["id"], "approve-extension").get_json()
    assert t3["paused"] is False and t3["due_at"] > t["due_at"]
    # one request per ticket
    r = dept.act(t["id"], "request-extension", {"days": 1, "reason": "again"})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "extension_already_requested"


def test_extension_rejected_keeps_the_due_time_plus_the_wait(api, make_ticket):
    t = make_ticket("in_progress")
    api.as_("dept_cgj").act(t["id"], "request-extension", {"days": 3, "reason": "需协调"})
    t2 = api.as_("supervisor").act(t["id"], "reject-extension", {"note": "可按期办结"}).get_json()
    assert t2["status"] == "in_progress" and t2["due_at"] >= t["due_at"]
    r = api.as_("supervisor").act(t["id"], "approve-extension")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "no_pending_extension"


def test_extension_limits(api, make_ticket):
    t = make_ticket("in_progress")
    dept = api.as_("dept_cgj")
    assert dept.act(t["id"], "request-extension", {"days": 11, "reason": "x"}).status_code == 422
    assert dept.act(t["id"], "request-extension", {"days": "5", "reason": "x"}).status_code == 422
    assert dept.act(t["id"], "request-extension", {"days": 2}).status_code == 422
    urgent = make_ticket("in_progress", urgency="urgent")
    r = dept.act(urgent["id"], "request-extension", {"days": 2, "reason": "x"})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "no_extension"


def test_dissatisfied_callback_reopen_second_round_closed(api, make_ticket):
    t = make_ticket("callback_pending")
    op, sup, dept = api.as_("operator"), api.as_("supervisor"), api.as_("dept_cgj")
    t = op.act(t["id"], "record-callback", {"resolved": 3, "satisfaction": 3}).get_json()
    assert t["status"] == "callback_pending"  # waits for the supervisor's verification
    t = sup.act(t["id"], "reopen", {"note": "核实属实"}).get_json()
    assert t["status"] == "reopened" and t["department"] == "XC-CGJ" and t["sign_due_at"]
    assert t["callback"] is None and t["due_at"] is None
    t = dept.act(t["id"], "sign").get_json()
    assert t["status"] == "in_progress" and t["due_at"]
    dept.act(t["id"], "reply", {"text": "二次处理完毕"})
    sup.act(t["id"], "approve-reply")
    t = op.act(t["id"], "record-callback", {"resolved": 1, "satisfaction": 2}).get_json()
    assert t["status"] == "closed" and t["callback"]["satisfaction"] == 2  # the second rating replaces the first
    assert actions_of(t).count("record-callback") == 2 and "reopen" in actions_of(t)


def test_reopen_needs_a_dissatisfied_rating(api, make_ticket):
    t = make_ticket("callback_pending")
    r = api.as_("supervisor").act(t["id"], "reopen")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "not_dissatisfied"


def test_reply_rejected_goes_back_to_the_department(api, make_ticket):
    t = make_ticket("reply_review")
    t = api.as_("supervisor").act(t["id"], "reject-reply", {"note": "答复不完整"}).get_json()
    assert t["status"] == "in_progress"
    assert api.as_("dept_cgj").act(t["id"], "reply", {"text": "补充答复"}).status_code == 200


def test_merge_links_to_the_open_ticket(api, make_ticket):
    first = make_ticket("dispatched")
    dup = api.as_("operator").post("/tickets", new_ticket_body()).get_json()
    t = api.as_("operator").act(dup["id"], "merge", {"into": first["number"]}).get_json()
    assert t["status"] == "merged" and t["merged_into"] == first["id"]
    target = api.as_("operator").get(f"/tickets/{first['id']}").get_json()
    assert target["timeline"][-1]["action"] == "merged-from"
    assert target["status"] == "dispatched"


def test_merge_refuses_closed_or_same_or_unknown_targets(api, make_ticket):
    closed = make_ticket("closed")
    t = api.as_("operator").post("/tickets", new_ticket_body()).get_json()
    op = api.as_("operator")
    r = op.act(t["id"], "merge", {"into": closed["id"]})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "target_not_open"
    assert op.act(t["id"], "merge", {"into": t["id"]}).status_code == 422
    assert op.act(t["id"], "merge", {"into": 999999}).status_code == 422
    assert op.act(t["id"], "merge", {}).status_code == 422
    assert op.get(f"/tickets/{t['id']}").get_json()["status"] == "accepted"


def test_direct_answer_closes_without_dispatch(api):
    t = api.as_("operator").post("/tickets", new_ticket_body(type="consult")).get_json()
    t = api.as_("operator").act(t["id"], "answer", {"text": "公积金提取需携带身份证到服务大厅办理"}).get_json()
    assert t["status"] == "closed" and t["answer"] and t["department"] is None
    assert actions_of(t) == ["create", "answer"]


def test_not_accepted_and_handed_off(make_ticket):
    assert make_ticket("not_accepted")["status"] == "not_accepted"
    t = make_ticket("handed_off")
    assert t["timeline"][-1]["data"] == {"to": "119"}


def test_urge_supervise_and_assisting_notes(api, make_ticket):
    t = make_ticket("in_progress")
    sup = api.as_("supervisor")
    assert sup.act(t["id"], "urge", {"note": "请加快办理"}).status_code == 200
    t2 = sup.act(t["id"], "supervise", {"note": "督办", "answer_hours": 4}).get_json()
    assert t2["timeline"][-1]["action"] == "supervise" and "answer_by" in t2["timeline"][-1]["data"]
    assert api.as_("leader").act(t["id"], "urge").status_code == 200
    assert api.as_("operator").act(t["id"], "urge").status_code == 403


def test_assisting_department_sees_and_notes_but_cannot_reply(api):
    op = api.as_("operator")
    t = op.post("/tickets", new_ticket_body()).get_json()
    op.act(t["id"], "dispatch", {"department": "XC-CGJ", "assisting": ["XC-STHJJ"]})
    helper = api.as_("dept_sthjj")
    assert helper.get(f"/tickets/{t['id']}").status_code == 200
    assert helper.act(t["id"], "note", {"text": "环保方面已配合检查"}).status_code == 200
    assert helper.act(t["id"], "sign").status_code == 403
    api.as_("dept_cgj").act(t["id"], "sign")
    assert helper.act(t["id"], "reply", {"text": "x"}).status_code == 403


def test_each_action_writes_one_event_and_its_outbox_rows_in_one_transaction(api, make_ticket, ctx):
    t = make_ticket("dispatched")
    before = db.session.scalar(select(func.count()).select_from(TimelineEvent))
    outbox_before = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    db.session.rollback()
    api.as_("dept_cgj").act(t["id"], "sign")
    assert db.session.scalar(select(func.count()).select_from(TimelineEvent)) == before + 1
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.id > outbox_before)).all()
    kinds = sorted(r.kind for r in rows)
    # the socket event plus the warning, due and public-notice checks of the handling clock
    assert kinds == ["job", "job", "job", "socket"]
    socket = next(r for r in rows if r.kind == "socket").payload
    assert "dept:XC-CGJ" in socket["rooms"] and socket["event"]["type"] == "ticket"


def test_create_ticket_returns_a_frozen_value_equal_to_the_row(app):
    """create_ticket returns a NewTicket: a frozen value with every column of the row it wrote (no ORM object to
    misuse); loading the ticket gives the same values."""
    import dataclasses

    from hotline import actions
    from hotline.actions.intake import TICKET_COLUMNS, NewTicket
    from hotline.models import Ticket, User

    with app.app_context():
        op = db.session.scalar(select(User).where(User.username == "operator"))
        data = actions.parse_intake(new_ticket_body(caller_phone="13900001234"))
        ticket, _code = actions.create_ticket(data, op)
        assert isinstance(ticket, NewTicket) and not isinstance(ticket, Ticket)
        assert ticket.number.startswith("XC") and ticket.caller_id and ticket.department is None
        with pytest.raises(dataclasses.FrozenInstanceError):
            ticket.status = "closed"
        row = db.session.get(Ticket, ticket.id)
        assert {c: getattr(row, c) for c in TICKET_COLUMNS} == {c: getattr(ticket, c) for c in TICKET_COLUMNS}
        assert row.caller.phone == "+8613900001234"
        db.session.remove()


def test_a_rated_callback_round_takes_no_second_rating(api, make_ticket):
    """Issue 14: a dissatisfied rating could be overwritten by a satisfied one, closing the ticket behind the
    supervisor's back. The decision goes through reopen / close-excluded only."""
    t = make_ticket("callback_pending")
    op = api.as_("operator")
    assert op.act(t["id"], "record-callback", {"resolved": 3, "satisfaction": 3}).status_code == 200
    r = op.act(t["id"], "record-callback", {"resolved": 1, "satisfaction": 1})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "already_rated"
    assert api.as_("supervisor").get(f"/tickets/{t['id']}").get_json()["status"] == "callback_pending"
    # reopened, handled again: the new round takes its own rating
    assert api.as_("supervisor").act(t["id"], "reopen", {"note": "核实属实"}).status_code == 200
