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
        assert abs(cal.working_time_between(ts(t["due_at"]), ts(after["due_at"])) - waited) < dt.timedelta(
            seconds=5
        )
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
