"""The working calendar past the package's last year: 2027 provisional (statutory holidays by the lunar
rules, no make-up days), then an official schedule imported, with deadlines that cross the changed days
recomputed. Time is frozen (time-machine) around 春节 2027.

tests/data/calendar_2027.csv is an illustrative schedule in the notice's usual shape (春节 and 国庆 7 days,
make-up Saturdays/Sundays), typed for these tests: not the State Council's 2027 notice."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select

from hotline.actions.deadlines import check_deadlines
from hotline.deadlines.calendar import TZ, WorkingCalendar, provisional_years, statutory_holidays
from hotline.extensions import db
from hotline.models import OfficialCalendarDay, OfficialCalendarYear, OutboxMessage, TimelineEvent

SCHEDULE = Path(__file__).parent / "data" / "calendar_2027.csv"


def local(y, m, d, h=0, mi=0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=TZ)


def ts(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


# ---- the rules ------------------------------------------------------------------------------------


def test_2027_statutory_holidays_by_rule():
    days = statutory_holidays(2027)
    assert {d for d, n in days.items() if n == "春节"} == {dt.date(2027, 2, d) for d in (5, 6, 7, 8)}  # 除夕..初三
    assert days[dt.date(2027, 4, 5)] == "清明节"  # the solar term
    assert days[dt.date(2027, 6, 9)] == "端午节"  # 5/5 lunar
    assert days[dt.date(2027, 9, 15)] == "中秋节"  # 8/15 lunar
    assert {d for d, n in days.items() if n == "劳动节"} == {dt.date(2027, 5, 1), dt.date(2027, 5, 2)}
    assert {d for d, n in days.items() if n == "国庆节"} == {dt.date(2027, 10, d) for d in (1, 2, 3)}
    assert days[dt.date(2027, 1, 1)] == "元旦"
    assert len(days) == 13
    # 2028: 春节 starts on 除夕 25 January; 清明 on 4 April
    assert min(d for d, n in statutory_holidays(2028).items() if n == "春节") == dt.date(2028, 1, 25)
    assert statutory_holidays(2028)[dt.date(2028, 4, 4)] == "清明节"


def test_provisional_days_and_no_make_up_days():
    cal = WorkingCalendar()
    eve = cal.day(dt.date(2027, 2, 5))
    assert (eve.workday, eve.name, eve.source) == (False, "春节", "provisional")
    assert cal.day(dt.date(2027, 2, 9)).workday  # the Tuesday after 初三 works, by rule alone
    assert not cal.day(dt.date(2027, 2, 20)).workday  # a Saturday: no make-up day assumed
    assert cal.day(dt.date(2026, 10, 10)).as_dict() == {
        "date": "2026-10-10",
        "workday": True,  # the package's 2026 make-up Saturday
        "name": "国庆节",
        "source": "official",
    }
    assert cal.is_provisional(2027) and not cal.is_provisional(2026)
    assert provisional_years(cal, dt.date(2026, 10, 31)) == []
    assert provisional_years(cal, dt.date(2026, 11, 1)) == [2027]
    assert provisional_years(cal, dt.date(2027, 3, 1)) == [2027]
    assert provisional_years(WorkingCalendar(official_years={2027}), dt.date(2026, 11, 1)) == []


# ---- the API --------------------------------------------------------------------------------------


def test_day_api_for_any_logged_in_user(api):
    body = api.as_("dept_cgj").get("/calendar/days/2027-02-06").get_json()
    assert body == {"date": "2027-02-06", "workday": False, "name": "春节", "source": "provisional"}
    assert api.as_("operator").get("/calendar/days/2026-12-01").get_json()["source"] == "official"
    assert api.get("/calendar/days/2027-02-06").status_code == 401
    r = api.as_("operator").get("/calendar/days/2027-02-30")
    assert r.status_code == 422 and "date" in r.get_json()["error"]["fields"]


def test_override_shows_as_override(api):
    admin = api.as_("admin")
    r = admin.client.put(
        "/api/v1/calendar/overrides/2027-02-09",
        json={"workday": False, "note": "春节延长"},
        headers={"Authorization": f"Bearer {api.token('admin')}"},
    )
    assert r.status_code == 200
    body = api.as_("operator").get("/calendar/days/2027-02-09").get_json()
    assert body == {"date": "2027-02-09", "workday": False, "name": "春节延长", "source": "override"}


def _import(api, text: str, user: str = "admin"):
    return api.client.post(
        "/api/v1/calendar/import",
        data=text.encode(),
        headers={"Authorization": f"Bearer {api.token(user)}", "Content-Type": "text/csv"},
    )


def test_import_is_all_or_nothing_with_line_numbers(app, api):
    bad = "date,workday,name\n2027-01-01,false,元旦\n2027-02-30,false,春节\n2027-02-05,maybe,春节\n2027-01-01,false,x\n"
    r = _import(api, bad)
    assert r.status_code == 422
    err = r.get_json()["error"]
    assert err["code"] == "bad_calendar"
    assert err["fields"]["file"] == [
        "line 3: '2027-02-30' is not a date (YYYY-MM-DD)",
        "line 4: workday must be true or false, not 'maybe'",
        "line 5: 2027-01-01 is already on line 2",
    ]
    r = _import(api, "2027-01-01,false,元旦\n2028-01-01,false,元旦\n")
    assert r.status_code == 422 and "line 2: one year per file" in r.get_json()["error"]["message"]
    assert _import(api, SCHEDULE.read_text(), user="supervisor").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OfficialCalendarDay)) == 0
        assert db.session.scalar(select(func.count()).select_from(OfficialCalendarYear)) == 0
    assert api.as_("operator").get("/calendar/days/2027-02-09").get_json()["source"] == "provisional"


def test_cli_import(app, tmp_path):
    runner = app.test_cli_runner()
    bad = tmp_path / "bad.csv"
    bad.write_text("date,workday,name\n2027-02-05,false,春节\n2027-13-01,false,x\n", encoding="utf-8")
    result = runner.invoke(args=["calendar", "import", str(bad)])
    assert result.exit_code != 0 and "line 3" in result.output and "nothing imported" in result.output
    result = runner.invoke(args=["calendar", "import", str(SCHEDULE)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("2027: 27 days imported")
    with app.app_context():
        from hotline.deadlines import limits

        limits.clear_calendar_cache()
        day = limits.calendar().day(dt.date(2027, 2, 10))
        assert (day.workday, day.name, day.source) == (False, "春节", "official")
        assert limits.calendar().day(dt.date(2027, 3, 10)).source == "official"
        assert limits.calendar().day(dt.date(2027, 2, 20)).workday  # the make-up Saturday


# ---- frozen time across 春节 2027 -------------------------------------------------------------------


@pytest.fixture
def frozen():
    with time_machine.travel(local(2027, 2, 4, 10), tick=False) as traveller:
        yield traveller


def test_deadlines_across_spring_festival_2027_provisional_then_imported(app, api, make_ticket, frozen):
    """Dispatched on Thursday 4 February 2027 10:00 (the day before 除夕), signed at 11:00; provisional
    春节 5-8 February. Then the official schedule (春节 5-11 February) is imported: both deadlines move."""
    waiting = make_ticket("dispatched")  # signs for it later: its sign clock is the one that moves
    assert ts(waiting["sign_due_at"]) == local(2027, 2, 9, 10)  # one working day: Feb 5-8 are off
    frozen.move_to(local(2027, 2, 4, 11))
    t = make_ticket("in_progress", type="complaint")  # 5 working days from signing
    assert ts(t["due_at"]) == local(2027, 2, 15, 11)  # 4 Feb 13 h + 9-12 Feb + 11 h of Monday 15 Feb
    frozen.move_to(local(2027, 2, 4, 12))
    r = _import(api, SCHEDULE.read_text())
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"year": 2027, "days": 27, "changed_days": 14, "tickets_moved": 2}

    moved = api.as_("supervisor").get(f"/tickets/{t['id']}").get_json()
    assert ts(moved["due_at"]) == local(2027, 2, 18, 11)  # 9-11 February are holidays now
    event = moved["timeline"][-1]
    assert event["action"] == "due-moved" and event["actor"] == "admin"
    assert "2027" in event["note"] and "导入" in event["note"]
    assert moved["status"] == "in_progress" and event["to_status"] == "in_progress"
    still = api.as_("supervisor").get(f"/tickets/{waiting['id']}").get_json()
    assert ts(still["sign_due_at"]) == local(2027, 2, 12, 10)
    assert still["due_at"] is None  # no handling clock yet

    with app.app_context():
        data = db.session.scalars(
            select(TimelineEvent.data).where(TimelineEvent.ticket_id == t["id"], TimelineEvent.action == "due-moved")
        ).one()
        assert ts(data["due_at"]["from"]) == local(2027, 2, 15, 11)
        assert ts(data["due_at"]["to"]) == local(2027, 2, 18, 11)
        assert ts(data["warn_at"]["to"]) == local(2027, 2, 17, 11)  # 80% of 5 working days, recounted
        # the deadline jobs are scheduled again at the new instants
        jobs = [
            m.payload
            for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "job"))
            if m.payload["func"] == "hotline.tasks.deadlines.check_ticket" and m.payload["args"] == [t["id"]]
        ]
        assert local(2027, 2, 18, 11).astimezone(dt.UTC).isoformat() in {j.get("at") for j in jobs}
        # the old due time passes quietly; the new one raises the overdue mark
        assert check_deadlines(t["id"], local(2027, 2, 15, 11, 30)) == []
        assert check_deadlines(t["id"], local(2027, 2, 18, 11, 1)) == ["handle-warning", "handle-overdue"]

    body = api.as_("operator").get("/calendar/days/2027-02-09").get_json()
    assert body == {"date": "2027-02-09", "workday": False, "name": "春节", "source": "official"}
    # importing the same schedule again changes no day and moves nothing
    assert _import(api, SCHEDULE.read_text()).get_json()["tickets_moved"] == 0


def test_override_moves_a_crossed_deadline_and_says_why(app, api, make_ticket, frozen):
    t = make_ticket("in_progress", type="complaint")  # signed 4 Feb 10:00: due Monday 15 Feb 10:00
    assert ts(t["due_at"]) == local(2027, 2, 15, 10)
    headers = {"Authorization": f"Bearer {api.token('admin')}"}
    r = api.client.put("/api/v1/calendar/overrides/2027-02-10", json={"workday": False}, headers=headers)
    assert r.status_code == 200
    moved = api.as_("supervisor").get(f"/tickets/{t['id']}").get_json()
    assert ts(moved["due_at"]) == local(2027, 2, 16, 10)
    assert moved["timeline"][-1]["action"] == "due-moved" and "2027-02-10" in moved["timeline"][-1]["note"]
    # a day after the due time changes nothing
    api.client.put("/api/v1/calendar/overrides/2027-03-10", json={"workday": False}, headers=headers)
    again = api.as_("supervisor").get(f"/tickets/{t['id']}").get_json()
    assert len(again["timeline"]) == len(moved["timeline"])
    # removing the override moves it back
    assert api.client.delete("/api/v1/calendar/overrides/2027-02-10", headers=headers).status_code == 204
    back = api.as_("supervisor").get(f"/tickets/{t['id']}").get_json()
    assert ts(back["due_at"]) == local(2027, 2, 15, 10)


# ---- the warnings: worker log once a day, banners on the wallboard and the calendar page -------------


def test_worker_warns_once_a_day_while_provisional(app, redis_url, caplog):
    from rq import Queue, SimpleWorker

    from hotline.extensions import get_redis
    from hotline.tasks import QUEUES
    from hotline.tasks.schedule import SCHEDULE, enqueue_due

    daily = [p for p in SCHEDULE if p.func == "hotline.tasks.deadlines.calendar_check"]
    assert daily and daily[0].every_seconds == 86400
    redis = get_redis(redis_url)
    with app.app_context(), time_machine.travel(local(2026, 11, 2, 9), tick=False):
        now = dt.datetime.now(dt.UTC).timestamp()
        started = [enqueue_due(redis, now=now), enqueue_due(redis, now=now + 3600)]  # two ticks, one day
        assert sum(f == "hotline.tasks.deadlines.calendar_check" for s in started for f in s) == 1
        # Alembic's env.py (fileConfig) disables loggers that exist when another test migrates a database.
        logging.getLogger("hotline.tasks.deadlines").disabled = False
        caplog.set_level("WARNING", logger="hotline.tasks.deadlines")
        SimpleWorker([Queue(q, connection=redis) for q in QUEUES], connection=redis).work(burst=True)
    warnings = [r.getMessage() for r in caplog.records if "provisional" in r.getMessage()]
    assert warnings == [warnings[0]] and "working calendar 2027 is provisional" in warnings[0]


def _login(client, username):
    client.get("/login")
    with client.session_transaction() as s:
        token = s["csrf"]
    r = client.post("/login", data={"username": username, "password": f"demo-{username}", "csrf": token})
    assert r.status_code == 302


def _page_at(app, when: dt.datetime, path: str) -> str:
    with time_machine.travel(when, tick=False):
        client = app.test_client()
        _login(client, "admin")
        r = client.get(path)
        assert r.status_code == 200, path
        return r.get_data(as_text=True)


def test_banner_on_wallboard_and_calendar_page_from_1_november(app, api):
    assert "calendar-banner" not in _page_at(app, local(2026, 10, 31, 12), "/agents/wallboard")
    for path in ("/agents/wallboard", "/agents/admin/calendar"):
        page = _page_at(app, local(2026, 11, 1, 9), path)
        assert 'id="calendar-banner"' in page and "2027" in page.split('id="calendar-banner"')[1][:600], path
    _import(api, SCHEDULE.read_text())
    page = _page_at(app, local(2026, 11, 1, 9), "/agents/admin/calendar")
    assert "calendar-banner" not in page and 'data-year="2027"' in page
    page = _page_at(app, local(2027, 11, 1, 9), "/agents/wallboard")  # now 2028 is next, with no notice
    assert "2028" in page.split('id="calendar-banner"')[1][:600]


def test_readiness_counts_an_imported_year_as_official(app, api):
    from hotline import health

    with app.app_context():
        assert health.check_calendar(dt.date(2026, 12, 4))["years"]["2027"] == "provisional"
    assert _import(api, SCHEDULE.read_text()).status_code == 200
    with app.app_context():
        result = health.check_calendar(dt.date(2026, 12, 4))
        assert result["years"] == {"2026": "official", "2027": "official"} and "warning" not in result
