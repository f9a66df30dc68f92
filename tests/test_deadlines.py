"""Deadlines set by the actions (type x urgency), pauses, and the warning/overdue marks."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from rq import Queue, SimpleWorker
from sqlalchemy import select

from hotline.actions.deadlines import check_deadlines
from hotline.deadlines import limits
from hotline.extensions import db, get_redis
from hotline.models import Ticket, TimelineEvent
from hotline.outbox import relay_all
from hotline.tasks import QUEUES


def ts(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def event_at(ticket: dict, action: str) -> dt.datetime:
    return ts(next(e["at"] for e in reversed(ticket["timeline"]) if e["action"] == action))


@pytest.mark.parametrize(
    "urgency, sign_minutes, handle_minutes",
    [
        ("critical", 15, 120),
        ("urgent", 30, 24 * 60),
    ],
)
def test_natural_time_tiers(make_ticket, urgency, sign_minutes, handle_minutes):
    t = make_ticket("in_progress", urgency=urgency)
    dispatched, signed = event_at(t, "dispatch"), event_at(t, "sign")
    assert ts(t["sign_due_at"]) - dispatched == dt.timedelta(minutes=sign_minutes)
    assert ts(t["due_at"]) - signed == dt.timedelta(minutes=handle_minutes)


@pytest.mark.parametrize("ticket_type, days", [("consult", 1), ("complaint", 5), ("help", 5), ("report", 15)])
def test_normal_tier_in_working_days(app, make_ticket, ticket_type, days):
    t = make_ticket("in_progress", type=ticket_type)
    with app.app_context():
        cal = limits.calendar()
        assert ts(t["sign_due_at"]) == cal.add_working_days(event_at(t, "dispatch"), 1)
        assert ts(t["due_at"]) == cal.add_working_days(event_at(t, "sign"), days)
        assert cal.working_time_between(event_at(t, "sign"), ts(t["due_at"])) == dt.timedelta(days=days)


def test_limits_are_configurable(app, make_ticket):
    original = app.config["TIME_LIMITS"]
    app.config["TIME_LIMITS"] = {**original, "sign": {**original["sign"], "critical": [5, "min"]}}
    try:
        t = make_ticket("dispatched", urgency="critical")
        assert ts(t["sign_due_at"]) - event_at(t, "dispatch") == dt.timedelta(minutes=5)
    finally:
        app.config["TIME_LIMITS"] = original


def marks(ticket_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(TimelineEvent.action)
            .where(TimelineEvent.ticket_id == ticket_id, TimelineEvent.action.like("%-%"))
            .order_by(TimelineEvent.id)
        )
    )


def test_warning_then_overdue_once_each(app, make_ticket):
    t = make_ticket("dispatched", urgency="critical")
    dispatched = event_at(t, "dispatch")
    with app.app_context():
        assert check_deadlines(t["id"], dispatched + dt.timedelta(minutes=5)) == []
        assert check_deadlines(t["id"], dispatched + dt.timedelta(minutes=12, seconds=1)) == ["sign-warning"]
        assert check_deadlines(t["id"], dispatched + dt.timedelta(minutes=13)) == []
        assert check_deadlines(t["id"], dispatched + dt.timedelta(minutes=16)) == ["sign-overdue"]
        assert check_deadlines(t["id"], dispatched + dt.timedelta(minutes=17)) == []  # runs twice = once
        assert marks(t["id"]) == ["sign-warning", "sign-overdue"]


def test_a_late_job_raises_both_marks_in_order(app, make_ticket):
    t = make_ticket("in_progress", urgency="urgent")
    with app.app_context():
        raised = check_deadlines(t["id"], ts(t["due_at"]) + dt.timedelta(hours=1))
        assert raised == ["handle-warning", "handle-overdue"]


def test_no_marks_while_a_return_is_pending(app, api, make_ticket):
    t = make_ticket("return_pending", urgency="urgent")
    with app.app_context():
        assert check_deadlines(t["id"], ts(t["sign_due_at"]) + dt.timedelta(hours=5)) == []


def test_pending_time_does_not_count(app, api, make_ticket):
    t = make_ticket("in_progress")
    api.as_("dept_cgj").act(t["id"], "request-extension", {"days": 2, "reason": "协调"})
    with app.app_context():
        ticket = db.session.get(Ticket, t["id"])
        # pretend the centre took two natural days to decide
        ticket.paused_at = ticket.paused_at - dt.timedelta(days=2)
        paused_from = ticket.paused_at
        db.session.commit()
        cal = limits.calendar()
        waited = cal.working_time_between(paused_from, dt.datetime.now(dt.UTC))
    after = api.as_("supervisor").act(t["id"], "reject-extension").get_json()
    shift = ts(after["due_at"]) - ts(t["due_at"])
    with app.app_context():
        # the due time moved by the working time spent waiting (within the request's own latency)
        assert abs(cal.working_time_between(ts(t["due_at"]), ts(after["due_at"])) - waited) < dt.timedelta(seconds=5)
    assert shift >= dt.timedelta(0)


def test_scheduled_job_runs_in_a_real_worker_and_marks_overdue(app, make_ticket, redis_url):
    original = app.config["TIME_LIMITS"]
    app.config["TIME_LIMITS"] = {**original, "sign": {**original["sign"], "critical": [0.005, "min"]}}
    try:
        t = make_ticket("dispatched", urgency="critical")  # sign due in 0.3 s
    finally:
        app.config["TIME_LIMITS"] = original
    time.sleep(0.5)
    with app.app_context():
        assert relay_all() >= 3  # the socket event and the two deadline jobs
        redis = get_redis(redis_url)
        queues = [Queue(name, connection=redis) for name in QUEUES]
        assert sum(q.count for q in queues) >= 2
        SimpleWorker(queues, connection=redis).work(burst=True)
        db.session.expire_all()
        ticket = db.session.get(Ticket, t["id"])
        assert ticket.sign_overdue_at is not None and ticket.sign_warned_at is not None
        assert marks(t["id"]) == ["sign-warning", "sign-overdue"]


def test_sweep_catches_what_a_lost_job_missed(app, make_ticket):
    from hotline.tasks.deadlines import sweep

    t = make_ticket("in_progress", urgency="critical")
    with app.app_context():
        ticket = db.session.get(Ticket, t["id"])
        ticket.due_at = ticket.warn_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        db.session.commit()
        assert sweep() == 2
        assert marks(t["id"]) == ["handle-warning", "handle-overdue"]
        assert sweep() == 0


def test_overdue_escalates_and_five_working_days_later_the_notice_flag(app, api, make_ticket):
    t = make_ticket("in_progress")
    due = ts(t["due_at"])
    with app.app_context():
        assert check_deadlines(t["id"], due + dt.timedelta(seconds=1)) == ["handle-warning", "handle-overdue"]
        ticket = db.session.get(Ticket, t["id"])
        assert ticket.escalated_at is not None and ticket.notice_flagged_at is None
        notice_at = limits.calendar().add_working_days(due, 5)
        assert ticket.notice_at == notice_at
        db.session.rollback()
        assert check_deadlines(t["id"], notice_at - dt.timedelta(seconds=1)) == []
        assert check_deadlines(t["id"], notice_at) == ["handle-notice"]
    queue = api.as_("supervisor").get("/queues/supervisor").get_json()
    assert [x["id"] for x in queue["escalated"]] == [t["id"]]
    seen = api.as_("dept_cgj").get(f"/tickets/{t['id']}").get_json()
    assert seen["overdue"] and seen["escalated"] and seen["public_notice"]


def test_supervision_notice_has_its_own_deadline(app, api, make_ticket):
    from hotline.actions.deadlines import check_notice
    from hotline.models import SupervisionNotice

    t = make_ticket("in_progress")
    api.as_("supervisor").act(t["id"], "supervise", {"note": "请两小时内反馈", "answer_hours": 2})
    with app.app_context():
        notice = db.session.scalars(select(SupervisionNotice)).one()
        issued, nid = notice.issued_at, notice.id
        db.session.rollback()
        assert check_notice(nid, issued + dt.timedelta(minutes=97)) == ["supervision-warning"]
        assert check_notice(nid, issued + dt.timedelta(hours=2, seconds=1)) == ["supervision-overdue"]
        assert check_notice(nid, issued + dt.timedelta(hours=3)) == []
    r = api.as_("dept_cgj").act(t["id"], "answer-supervision", {"text": "已安排人员处理"})
    assert r.status_code == 200
    r = api.as_("dept_cgj").act(t["id"], "answer-supervision", {"text": "again"})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "no_open_notice"


def test_answered_notice_raises_nothing(app, api, make_ticket):
    from hotline.actions.deadlines import check_notice
    from hotline.models import SupervisionNotice

    t = make_ticket("in_progress")
    api.as_("supervisor").act(t["id"], "supervise", {"answer_hours": 1})
    api.as_("dept_cgj").act(t["id"], "answer-supervision", {"text": "已反馈"})
    with app.app_context():
        nid = db.session.scalars(select(SupervisionNotice.id)).one()
        assert check_notice(nid, dt.datetime.now(dt.UTC) + dt.timedelta(hours=5)) == []


def test_reject_return_resumes_the_sign_clock_without_the_wait(app, api, make_ticket):
    t = make_ticket("return_pending", urgency="urgent")
    with app.app_context():
        ticket = db.session.get(Ticket, t["id"])
        ticket.paused_at -= dt.timedelta(minutes=20)  # the centre took 20 minutes to decide
        db.session.commit()
    after = api.as_("supervisor").act(t["id"], "reject-return").get_json()
    moved = ts(after["sign_due_at"]) - ts(t["sign_due_at"])
    assert dt.timedelta(minutes=20) <= moved < dt.timedelta(minutes=21)


def test_reject_return_of_a_signed_ticket_resumes_the_handling_clock(app, api, make_ticket):
    """The bug: a signed ticket whose return was rejected went to `dispatched` with `signed_at` set, so no
    clock ran and it could never be overdue. It goes back to in_progress, its due time pushed by the wait."""
    t = make_ticket("in_progress", urgency="urgent")
    r = api.as_("dept_cgj").act(t["id"], "return", {"reason": "ownership_unclear"})
    assert r.status_code == 200 and r.get_json()["status"] == "return_pending"
    with app.app_context():
        ticket = db.session.get(Ticket, t["id"])
        ticket.paused_at -= dt.timedelta(minutes=45)  # the centre took 45 minutes to decide
        db.session.commit()
    after = api.as_("supervisor").act(t["id"], "reject-return").get_json()
    assert after["status"] == "in_progress"
    assert after["timeline"][-1]["from_status"] == "return_pending"
    assert after["timeline"][-1]["to_status"] == "in_progress"
    moved = ts(after["due_at"]) - ts(t["due_at"])
    assert dt.timedelta(minutes=45) <= moved < dt.timedelta(minutes=46)
    with app.app_context():
        due = ts(after["due_at"])
        assert check_deadlines(t["id"], due - dt.timedelta(minutes=1)) == ["handle-warning"]
        assert check_deadlines(t["id"], due + dt.timedelta(seconds=1)) == ["handle-overdue"]
    # signing again is not needed (and not allowed): the department replies
    assert api.as_("dept_cgj").act(t["id"], "sign").status_code == 409
    assert api.as_("dept_cgj").act(t["id"], "reply", {"text": "已处理完毕。"}).status_code == 200


def test_reject_return_of_an_unsigned_ticket_runs_the_sign_clock_to_overdue(app, api, make_ticket):
    t = make_ticket("return_pending", urgency="urgent")
    after = api.as_("supervisor").act(t["id"], "reject-return").get_json()
    assert after["status"] == "dispatched" and after["due_at"] is None
    with app.app_context():
        due = ts(after["sign_due_at"])
        assert db.session.get(Ticket, t["id"]).signed_at is None
        assert check_deadlines(t["id"], due + dt.timedelta(seconds=1)) == ["sign-warning", "sign-overdue"]


def test_calendar_override_api_changes_due_times(api, make_ticket):
    from hotline.deadlines.calendar import TZ

    admin = {"Authorization": f"Bearer {api.token('admin')}"}
    today = dt.datetime.now(TZ).date()
    days = [today + dt.timedelta(days=i) for i in range(1, 8)]
    for d in days:
        r = api.client.put(f"/api/v1/calendar/overrides/{d}", json={"workday": False, "note": "防汛"}, headers=admin)
        assert r.status_code == 200
    t = make_ticket("dispatched")
    # no working day in the coming week: signing falls due after it
    assert ts(t["sign_due_at"]).astimezone(TZ).date() > days[-1]
    r = api.client.put("/api/v1/calendar/overrides/2026-13-01", json={"workday": True}, headers=admin)
    assert r.status_code == 422
    r = api.client.put(f"/api/v1/calendar/overrides/{days[0]}", json={"workday": "no"}, headers=admin)
    assert r.status_code == 422 and "workday" in r.get_json()["error"]["fields"]
    r = api.client.put(
        f"/api/v1/calendar/overrides/{days[0]}",
        json={"workday": True},
        headers={"Authorization": f"Bearer {api.token('supervisor')}"},
    )
    assert r.status_code == 403
    assert api.client.delete(f"/api/v1/calendar/overrides/{days[0]}", headers=admin).status_code == 204
