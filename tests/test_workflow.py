"""The transition table, and every illegal transition answered with 409 and no change."""

from __future__ import annotations

import pytest

from hotline import workflow
from hotline.workflow import OPEN, TRANSITIONS, Status

# Someone with the right to fire each action (so that only the state is wrong).
ACTOR_FOR = {
    "answer": "operator",
    "dispatch": "operator",
    "merge": "operator",
    "not-accept": "operator",
    "hand-off": "operator",
    "sign": "dept_cgj",
    "return": "dept_cgj",
    "approve-return": "supervisor",
    "reject-return": "supervisor",
    "request-extension": "dept_cgj",
    "approve-extension": "supervisor",
    "reject-extension": "supervisor",
    "reply": "dept_cgj",
    "approve-reply": "supervisor",
    "reject-reply": "supervisor",
    "record-callback": "operator",
    "reopen": "supervisor",
    "close-unreachable": "supervisor",
    "close-excluded": "supervisor",
    "urge": "supervisor",
    "supervise": "supervisor",
    "answer-supervision": "dept_cgj",
    "note": "operator",
    "reclassify": "supervisor",
    "assign": "dept_cgj",
    "sub-dispatch": "dept_cgj",
    "approve-sub-reply": "dept_cgj",
    "reject-sub-reply": "dept_cgj",
}
# A valid body for each action, so that the state is the only reason to refuse.
BODY = {
    "assign": {"user": "dept_cgj"},
    "sub-dispatch": {"department": "ST-341802001"},
    "reject-sub-reply": {"note": "请补充"},
    "answer": {"text": "答复"},
    "dispatch": {"department": "XC-CGJ"},
    "not-accept": {"reason": "不属受理范围"},
    "hand-off": {"to": "110"},
    "return": {"reason": "wrong_area"},
    "request-extension": {"days": 2, "reason": "协调"},
    "reply": {"text": "已办"},
    "record-callback": {"resolved": 1, "satisfaction": 1},
    "note": {"text": "备注"},
    "close-excluded": {"reason": "依法执法，诉求不合理"},
    "answer-supervision": {"text": "已反馈"},
    "reclassify": {"urgency": "urgent", "reason": "更正"},
}


def test_table_covers_every_contract_action():
    contract = {
        "answer",
        "dispatch",
        "sign",
        "return",
        "approve-return",
        "reject-return",
        "request-extension",
        "approve-extension",
        "reject-extension",
        "reply",
        "approve-reply",
        "reject-reply",
        "urge",
        "supervise",
        "merge",
        "reopen",
        "record-callback",
        "reclassify",
    }
    assert contract <= set(TRANSITIONS)
    assert set(ACTOR_FOR) == set(TRANSITIONS)


def test_every_target_is_a_status_and_finished_states_have_no_exit():
    for t in TRANSITIONS.values():
        assert t.sources <= set(Status)
        for status in t.sources:
            assert status in OPEN, (t.action, status)


def test_check_distinguishes_right_from_state():
    with pytest.raises(workflow.TransitionError) as e:
        workflow.check("sign", "accepted", "department")
    assert e.value.status == 409
    with pytest.raises(workflow.TransitionError) as e:
        workflow.check("sign", "dispatched", "operator")
    assert e.value.status == 403
    assert workflow.check("sign", "dispatched", "department").target == Status.IN_PROGRESS


@pytest.mark.parametrize("status", [s.value for s in Status])
def test_illegal_transitions_answer_409_and_change_nothing(api, make_ticket, status):
    t = make_ticket(status)
    spare = make_ticket("accepted")  # a valid merge target, so only the state is wrong
    bodies = {**BODY, "merge": {"into": spare["id"]}}
    tried = 0
    for action, transition in TRANSITIONS.items():
        if Status(status) in transition.sources:
            continue
        user = ACTOR_FOR[action]
        before = api.as_("operator").get(f"/tickets/{t['id']}").get_json()
        r = api.as_(user).act(t["id"], action, bodies.get(action))
        # A department user who is not on the ticket any more sees 404, as for any foreign ticket.
        expected = 404 if user == "dept_cgj" and before["department"] != "XC-CGJ" else 409
        assert r.status_code == expected, (status, action, r.get_json())
        after = api.as_("operator").get(f"/tickets/{t['id']}").get_json()
        assert after == before, (status, action)
        tried += 1
    assert tried > 0
