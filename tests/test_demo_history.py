"""The demo city (issue 21): `seed-demo --history` replays a past through the real actions, and every screen
has something to show on it."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest
from sqlalchemy import func, select

from hotline.deadlines.calendar import TZ
from hotline.demo import history
from hotline.demo.plans import make_plans
from hotline.extensions import db
from hotline.models import Call, OutboxMessage, Ticket, TimelineEvent, User
from hotline.models.base import utcnow
from hotline.workflow import OPEN

# The demo users of departments (issue 19 adds dept_xzq and dept_cjjd; the test takes whichever exist).
DEMO_DEPARTMENT_USERS = ("dept_cgj", "dept_sthjj", "dept_xzq", "dept_cjjd")
DAYS = 6


def _demo_department_users(app) -> dict[str, str]:
    with app.app_context():
        rows = db.session.execute(
            select(User.username, User.department_id).where(User.username.in_(DEMO_DEPARTMENT_USERS))
        ).all()
        from hotline.models import Department

        codes = dict(db.session.execute(select(Department.id, Department.code)).all())
        return {name: codes[dept_id] for name, dept_id in rows}


@pytest.fixture
def seeded(app):
    """Six days of the demo city up to now (a fifth of the daily volume, to keep the test short): whatever the
    day of the week, at least four working days, so that tickets have gone all the way to their callbacks."""
    with app.app_context():
        summary = history.seed_history(DAYS, seed=2026, per_day=30, workers=2)
        db.session.remove()
    return summary


def test_seeded_city_has_something_on_every_screen(app, api, client, seeded):
    assert seeded.tickets > 100 and seeded.calls > 50
    assert not seeded.skipped_steps, seeded.skipped_steps  # every planned step was allowed by the real rules
    end = utcnow()

    # The wallboard: open tickets in many states, some overdue, and the month's chart.
    board = api.as_("supervisor").get("/wallboard").get_json()
    states = board["open"]["by_status"]
    assert {"dispatched", "in_progress"} <= set(states) and len(states) >= 4, states
    assert board["open"]["total"] > 20
    overdue_now = board["overdue"]
    assert sum(board["charts"]["created_by_day"]) > 0
    if end.astimezone(TZ).hour >= 10:
        assert board["today"]["created"] > 0 and board["today"]["by_status"]

    # Each demo department's console: open tickets with their clocks running.
    for username, code in _demo_department_users(app).items():
        r = api.as_(username).get("/tickets?status=" + ",".join(sorted(OPEN)))
        items = r.get_json()["items"]
        assert items, f"{username} ({code}) has no open tickets"
        # Its own tickets, those sub-dispatched to it, and (a district) those of the departments below it.
        below = _departments_below(app, code)
        assert all(
            t["department"] in below or code in (t.get("assisting") or []) or t.get("sub_department") == code
            for t in items
        )
        assert any(t["sign_due_at"] or t["due_at"] for t in items), username

    # The whole lifecycle happened, through the actions (their timeline events), at the replayed times.
    with app.app_context():
        actions = dict(
            db.session.execute(select(TimelineEvent.action, func.count()).group_by(TimelineEvent.action)).all()
        )
        lifecycle = ("create", "dispatch", "sign", "return", "reply", "approve-reply", "record-callback", "answer")
        # ... and inside the departments (issue 19): handling officers named, a district's sub-dispatches.
        inside = ("assign", "sub-dispatch", "sub-sign")
        for action in lifecycle + inside:
            assert actions.get(action), (action, actions)
        assert actions.get("sign-warning") or actions.get("sign-overdue")
        assert overdue_now or actions.get("sign-overdue") or actions.get("handle-overdue")  # escalated (超期)
        first, last = db.session.execute(select(func.min(Ticket.created_at), func.max(Ticket.created_at))).one()
        assert end - first > dt.timedelta(days=2) and last < end
        # Phone tickets have their call records: answered, abandoned and voice messages.
        outcomes = dict(db.session.execute(select(Call.outcome, func.count()).group_by(Call.outcome)).all())
        assert outcomes.get("answered") and outcomes.get("abandoned") and outcomes.get("voicemail"), outcomes
        linked = db.session.scalar(select(func.count()).where(Call.ticket_id.is_not(None)))
        assert linked >= outcomes["answered"] * 0.9

        # Nothing of the past was delivered: every row is marked not sent, except jobs still ahead of now.
        rows = db.session.execute(select(OutboxMessage.kind, OutboxMessage.payload, OutboxMessage.last_error)).all()
        pending = [r for r in rows if r.last_error != history.NOT_SENT]
        assert len(rows) > len(pending) > 0
        for r in pending:
            assert r.kind == "job" and r.payload["func"] in history.FUTURE_JOBS, r
            assert dt.datetime.fromisoformat(r.payload["at"]) > end - dt.timedelta(minutes=5), r

    # The call-centre figures of the period are real.
    days = f"from={(end - dt.timedelta(days=DAYS)).astimezone(TZ).date()}&to={end.astimezone(TZ).date()}"
    calls = api.as_("supervisor").get("/reports/calls?" + days).get_json()
    assert calls["answered"] > 0 and calls["abandoned"] > 0 and calls["voicemail"] > 0
    assert 0.5 < calls["answer_rate"] < 1 and calls["average_talk_seconds"] > 0

    # KPIs and the monthly report have figures for every demo department.
    kpis = {row["department"]: row for row in api.as_("supervisor").get("/reports/kpis?" + days).get_json()}
    for code in _demo_department_users(app).values():
        assert kpis[code]["dispatched"] > 0, code
        assert kpis[code]["signed_on_time_rate"] is not None, code
    assert any(row["satisfaction_rate"] is not None for row in kpis.values())
    login(client, "supervisor")
    month = end.astimezone(TZ).strftime("%Y-%m")
    page = client.get(f"/agents/reports/monthly?month={month}").get_data(as_text=True)
    for code in _demo_department_users(app).values():
        assert code in page

    # The public pages: published replies and the month's hotspots.
    published = client.get("/published").get_data(as_text=True)
    assert published.count('class="card published"') > 5
    with app.app_context():
        from hotline.public import disclosure

        spots = disclosure.hotspots(month, app.config["HOTSPOT_MIN_TICKETS"])["hotspots"]
        if end.astimezone(TZ).day <= 2:  # the history is mostly last month's
            spots = disclosure.hotspots(None, app.config["HOTSPOT_MIN_TICKETS"])["hotspots"] or spots
        assert spots
        items, total = disclosure.published_page(None, None, 1)
        assert total > 0 and items
    hot = client.get(f"/published/hotspots?month={month}").get_data(as_text=True)
    assert spots[0].category in hot
    assert items[0].reply in published


def login(client, username: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    r = client.post("/login", data={"username": username, "password": f"demo-{username}", "csrf": token})
    assert r.status_code == 302


def test_history_refuses_a_database_with_tickets(app, make_ticket):
    make_ticket()
    with app.app_context(), pytest.raises(history.Refused):
        history.seed_history(1, per_day=5)


def test_same_seed_same_month(app, snapshot):
    """Every number comes from the seed: the plans, and the tickets the replay makes of them."""
    end = dt.datetime(2026, 11, 25, 7, 0, tzinfo=dt.UTC)  # a Wednesday, 15:00 in the city
    a, calls_a = make_plans(2, 99, end, per_day=40)
    b, calls_b = make_plans(2, 99, end, per_day=40)
    c, _ = make_plans(2, 100, end, per_day=40)
    assert [(p.at, p.content, p.outcome, p.fate) for p in a] == [(p.at, p.content, p.outcome, p.fate) for p in b]
    assert [(p.at, p.caller_phone) for p in calls_a] == [(p.at, p.caller_phone) for p in calls_b]
    assert [p.content for p in a] != [p.content for p in c]
    assert len({p.content for p in a}) > 0.8 * len(a)  # varied texts

    def replay(workers: int = 1) -> list[tuple]:
        with app.app_context():
            history.seed_history(1, seed=99, end=end, per_day=15, workers=workers)
            rows = db.session.execute(
                select(Ticket.number, Ticket.status, Ticket.content, Ticket.category_code, Ticket.created_at).order_by(
                    Ticket.number
                )
            ).all()
            events = db.session.execute(
                select(TimelineEvent.action, TimelineEvent.at).order_by(TimelineEvent.at, TimelineEvent.action)
            ).all()
            db.session.remove()
        return [tuple(r) for r in rows] + [tuple(e) for e in events]

    first = replay()
    from tests.conftest import _forget_process_caches

    snapshot.restore()  # the seeded database again
    _forget_process_caches()
    assert replay() == first and len(first) > 20

    # In parallel processes (each merges repeats into its own open tickets) the numbers are reserved in a varying
    # order; everything else is the same from run to run.
    def counts(rows: list[tuple]) -> Counter:
        return Counter(r[1:] if len(r) == 5 else r for r in rows)

    parallel = []
    for _ in range(2):
        snapshot.restore()
        _forget_process_caches()
        parallel.append(counts(replay(workers=2)))
    assert parallel[0] == parallel[1] and sum(parallel[0].values()) > 20


def _departments_below(app, code: str) -> set[str]:
    from sqlalchemy import select

    from hotline.access import department_scope
    from hotline.extensions import db
    from hotline.models import Department

    with app.app_context():
        dept_id = db.session.scalar(select(Department.id).where(Department.code == code))
        scope = department_scope(dept_id)
        return set(db.session.scalars(select(Department.code).where(Department.id.in_(scope))))
