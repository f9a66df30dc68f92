"""KPIs on a small fixed data set built through the real actions, with hand-computed figures.

Time is injected by replacing the clock the actions read (`hotline.actions._core.utcnow` and
`hotline.actions.intake.utcnow`), so every event carries the time of the story below. Two outcomes
come from the callback actions (close-unreachable, close-excluded).

November 2025 (local time, Asia/Shanghai; normal complaints: sign 1 WD, handle 5 WD):
  T1  A: dispatch 11-03 09:10, sign 10:00 (on time), reply 11-05, callback 11-06 resolved 1 / satisfied 1
  T2  A: dispatch 11-03 09:10, sign 11-06 (late), due 11-13 10:00, reply 11-17 (late), callback 2 / 2
  T3  A: dispatch 11-04 09:00, sign 09:30, due 11-11 09:30; extension of 3 WD asked 11-10, approved 11-12
         (after the original due), reply 11-13 15:00: on time only with the extension; callback 1 / 1
  T4  A: dispatch 11-05, sign on time, reply 11-06 (on time), callback 3 / 3, reopened 11-07, signed again,
         reply 11-10 (on time), callback 11-11 1 / 2 -> closed: two rounds due, one rating (the second)
  T5  A -> B: dispatch 11-06 09:00 to A, returned 10:00, approved; dispatched to B 11:30, B signs 12:00,
         never replies (due 11-13 12:00: late)
  T6  B: dispatch 11-07, return, return rejected, sign (on time), reply 11-11, callback unreachable 11-12
  T7  B: dispatch 11-10, sign, reply 11-11, callback 3 / 3 on 11-12, closed with the dissatisfaction excluded
  T8  answered directly 11-11;  T9 not accepted 11-11;  T10 accepted 11-12, still open
  T11 A: created and dispatched 10-30 (October), signed on time, due 11-06, reply 11-03, callback 11-04 1 / 1
  T12 B: dispatch 11-28 09:00, sign 09:30, due 12-05: not due in November

Expected, department A (XC-CGJ): dispatched 5 (T1 T2 T3 T4 T5); signed on time 3 (T1 T3 T4) -> 0.6;
  rounds due 6 (T1 T2 T3 T4a T4b T11), on time 5 -> 5/6; rated 5 (T1 T2 T3 T4 T11), resolved 4, satisfied 5;
  callbacks 5 of 5; returns 1 -> 0.2, rejected 0; closed 5, reopened 1 -> 0.2;
  score 100 x (0.30 x 0.6 + 0.35 x 0.8 + 0.35 x 1.0) = 81.0
Department B (XC-STHJJ): dispatched 4 (T5 T6 T7 T12), signed on time 4 -> 1.0; rounds due 3 (T5 T6 T7),
  on time 2 -> 2/3; rated 0 (T7 excluded) -> null rates; callbacks 1 completed (T7) of 2 eligible (T6
  unreachable) -> 0.5; returns 1 -> 0.25, rejected 1; closed 2 (T6 T7), reopened 0 -> 0.0; score 100.0
Centre: accepted 10 created in November (T1-T10, T12, less T9), answered directly 1 (T8) -> 0.1.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from hotline import actions
from hotline.extensions import db
from hotline.models import Ticket, User
from hotline.reports.periods import month
from tests.conftest import new_ticket_body

TZ = ZoneInfo("Asia/Shanghai")


class Clock:
    def __init__(self):
        self.now = dt.datetime(2025, 10, 1, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def at(self, when: str) -> None:
        """'2025-11-03 09:10' in local time."""
        self.now = dt.datetime.strptime(when, "%Y-%m-%d %H:%M").replace(tzinfo=TZ).astimezone(dt.UTC)


def install_clock(monkeypatch) -> Clock:
    c = Clock()
    monkeypatch.setattr("hotline.actions._core.utcnow", c)
    monkeypatch.setattr("hotline.actions.intake.utcnow", c)
    return c


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return install_clock(monkeypatch)


class Story:
    def __init__(self, clock: Clock):
        self.clock = clock
        self.users = {u.username: u for u in db.session.scalars(select(User))}

    def u(self, name: str) -> User:
        return db.session.merge(self.users[name])

    def create(self, when: str, **over) -> int:
        self.clock.at(when)
        ticket, _code = actions.create_ticket(actions.parse_intake(new_ticket_body(**over)), self.u("operator"))
        return ticket.id

    def do(self, when: str, fn, ticket_id: int, user: str, *args, **kw) -> Ticket:
        self.clock.at(when)
        return fn(ticket_id, self.u(user), *args, **kw)

    def handled(self, tid: int, dept_user: str, day: str, reply_day: str, rating: tuple[int, int] | None) -> None:
        self.do(f"{day} 09:30", actions.sign_ticket, tid, dept_user)
        self.do(f"{reply_day} 09:00", actions.reply_ticket, tid, dept_user, "已办理")
        self.do(f"{reply_day} 10:00", actions.approve_reply, tid, "supervisor")
        if rating:
            nxt = (dt.date.fromisoformat(reply_day) + dt.timedelta(days=1)).isoformat()
            self.do(f"{nxt} 10:00", actions.record_callback, tid, "operator", *rating)


def build(clock: Clock) -> dict[str, int]:
    s = Story(clock)
    a, b = "XC-CGJ", "XC-STHJJ"
    t: dict[str, int] = {}
    # T11 first: October
    t["T11"] = s.create("2025-10-30 09:00")
    s.do("2025-10-30 09:10", actions.dispatch_ticket, t["T11"], "operator", a)
    s.handled(t["T11"], "dept_cgj", "2025-10-30", "2025-11-03", (1, 1))

    t["T1"] = s.create("2025-11-03 09:00")
    s.do("2025-11-03 09:10", actions.dispatch_ticket, t["T1"], "operator", a)
    s.do("2025-11-03 10:00", actions.sign_ticket, t["T1"], "dept_cgj")
    s.do("2025-11-05 09:00", actions.reply_ticket, t["T1"], "dept_cgj", "已修复")
    s.do("2025-11-05 10:00", actions.approve_reply, t["T1"], "supervisor")
    s.do("2025-11-06 10:00", actions.record_callback, t["T1"], "operator", 1, 1)

    t["T2"] = s.create("2025-11-03 09:01")
    s.do("2025-11-03 09:10", actions.dispatch_ticket, t["T2"], "operator", a)
    s.do("2025-11-06 10:00", actions.sign_ticket, t["T2"], "dept_cgj")
    s.do("2025-11-17 09:00", actions.reply_ticket, t["T2"], "dept_cgj", "已处理")
    s.do("2025-11-17 10:00", actions.approve_reply, t["T2"], "supervisor")
    s.do("2025-11-18 10:00", actions.record_callback, t["T2"], "operator", 2, 2)

    t["T3"] = s.create("2025-11-04 08:50")
    s.do("2025-11-04 09:00", actions.dispatch_ticket, t["T3"], "operator", a)
    s.do("2025-11-04 09:30", actions.sign_ticket, t["T3"], "dept_cgj")
    original_due = db.session.get(Ticket, t["T3"]).due_at
    s.do("2025-11-10 10:00", actions.request_extension, t["T3"], "dept_cgj", 3, "需协调施工单位")
    s.do("2025-11-12 10:00", actions.approve_extension, t["T3"], "supervisor")
    s.clock.at("2025-11-13 15:00")
    assert original_due < s.clock.now < db.session.get(Ticket, t["T3"]).due_at  # the edge case holds
    s.do("2025-11-13 15:00", actions.reply_ticket, t["T3"], "dept_cgj", "已处理")
    s.do("2025-11-13 16:00", actions.approve_reply, t["T3"], "supervisor")
    s.do("2025-11-14 10:00", actions.record_callback, t["T3"], "operator", 1, 1)

    t["T4"] = s.create("2025-11-05 08:50")
    s.do("2025-11-05 09:00", actions.dispatch_ticket, t["T4"], "operator", a)
    s.handled(t["T4"], "dept_cgj", "2025-11-05", "2025-11-06", (3, 3))
    s.do("2025-11-07 11:00", actions.reopen_ticket, t["T4"], "supervisor")
    s.do("2025-11-07 14:00", actions.sign_ticket, t["T4"], "dept_cgj")
    s.do("2025-11-10 09:00", actions.reply_ticket, t["T4"], "dept_cgj", "已重新处理")
    s.do("2025-11-10 10:00", actions.approve_reply, t["T4"], "supervisor")
    s.do("2025-11-11 10:00", actions.record_callback, t["T4"], "operator", 1, 2)

    t["T5"] = s.create("2025-11-06 08:50")
    s.do("2025-11-06 09:00", actions.dispatch_ticket, t["T5"], "operator", a)
    s.do("2025-11-06 10:00", actions.return_ticket, t["T5"], "dept_cgj", "wrong_area")
    s.do("2025-11-06 11:00", actions.approve_return, t["T5"], "supervisor")
    s.do("2025-11-06 11:30", actions.dispatch_ticket, t["T5"], "operator", b)
    s.do("2025-11-06 12:00", actions.sign_ticket, t["T5"], "dept_sthjj")

    t["T6"] = s.create("2025-11-07 08:50")
    s.do("2025-11-07 09:00", actions.dispatch_ticket, t["T6"], "operator", b)
    s.do("2025-11-07 10:00", actions.return_ticket, t["T6"], "dept_sthjj", "wrong_area")
    s.do("2025-11-07 11:00", actions.reject_return, t["T6"], "supervisor")
    s.do("2025-11-07 12:00", actions.sign_ticket, t["T6"], "dept_sthjj")
    s.do("2025-11-11 09:00", actions.reply_ticket, t["T6"], "dept_sthjj", "已处理")
    s.do("2025-11-11 10:00", actions.approve_reply, t["T6"], "supervisor")
    s.do("2025-11-12 10:00", actions.close_unreachable, t["T6"], "supervisor")  # not rated

    t["T7"] = s.create("2025-11-10 08:50")
    s.do("2025-11-10 09:00", actions.dispatch_ticket, t["T7"], "operator", b)
    s.handled(t["T7"], "dept_sthjj", "2025-11-10", "2025-11-11", (3, 3))
    s.do("2025-11-12 11:00", actions.close_excluded, t["T7"], "supervisor", "依法执法结果，不满意不计入")

    t["T8"] = s.create("2025-11-11 09:00")
    s.do("2025-11-11 09:05", actions.answer_ticket, t["T8"], "operator", "已按政策解答")
    t["T9"] = s.create("2025-11-11 09:10")
    s.do("2025-11-11 09:15", actions.not_accept_ticket, t["T9"], "operator", "属于司法程序事项")
    t["T10"] = s.create("2025-11-12 09:00")

    t["T12"] = s.create("2025-11-28 08:50")
    s.do("2025-11-28 09:00", actions.dispatch_ticket, t["T12"], "operator", b)
    s.do("2025-11-28 09:30", actions.sign_ticket, t["T12"], "dept_sthjj")
    return t


DEC_10 = dt.datetime(2025, 12, 10, tzinfo=dt.UTC)


def _by_code(rows):
    return {r["department"]: r for r in rows}


def test_kpis_on_the_fixed_data_set(ctx, clock):
    from hotline.reports.kpis import department_kpis, direct_answer

    build(clock)
    rows = _by_code(department_kpis(month(2025, 11), now=DEC_10))
    a, b = rows["XC-CGJ"], rows["XC-STHJJ"]
    assert (a["dispatched"], a["signed_on_time"], a["signed_on_time_rate"]) == (5, 3, 0.6)
    assert (a["due"], a["resolved_on_time"]) == (6, 5)
    assert a["resolved_on_time_rate"] == pytest.approx(5 / 6)
    assert (a["rated"], a["resolved"], a["satisfied"], a["excluded"]) == (5, 4, 5, 0)
    assert (a["resolution_rate"], a["satisfaction_rate"]) == (0.8, 1.0)
    assert (a["callbacks_completed"], a["callbacks_eligible"], a["callback_rate"]) == (5, 5, 1.0)
    assert (a["returns"], a["rejected_returns"], a["return_rate"]) == (1, 0, 0.2)
    assert (a["closed"], a["reopened"], a["reopen_rate"]) == (5, 1, 0.2)
    assert a["score"] == 81.0

    assert (b["dispatched"], b["signed_on_time"], b["signed_on_time_rate"]) == (4, 4, 1.0)
    assert (b["due"], b["resolved_on_time"]) == (3, 2)
    assert b["resolved_on_time_rate"] == pytest.approx(2 / 3)
    assert (b["rated"], b["excluded"], b["resolution_rate"], b["satisfaction_rate"]) == (0, 1, None, None)
    assert (b["callbacks_completed"], b["callbacks_eligible"], b["callback_rate"]) == (1, 2, 0.5)
    assert (b["returns"], b["rejected_returns"], b["return_rate"]) == (1, 1, 0.25)
    assert (b["closed"], b["reopened"], b["reopen_rate"]) == (2, 0, 0.0)
    assert b["score"] == 100.0

    assert direct_answer(month(2025, 11)) == {"accepted": 10, "answered_directly": 1, "direct_answer_rate": 0.1}
    assert a["direct_answer_rate"] == b["direct_answer_rate"] == 0.1
    other = rows["XC-ZJJ"]
    assert other["dispatched"] == 0 and other["signed_on_time_rate"] is None and other["score"] is None

    # October: only T11's dispatch (signed on time); its round is due in November.
    octo = _by_code(department_kpis(month(2025, 10), now=DEC_10))["XC-CGJ"]
    assert (octo["dispatched"], octo["signed_on_time_rate"], octo["due"], octo["rated"]) == (1, 1.0, 0, 0)


def test_unreplied_rounds_count_once_their_due_has_passed(ctx, clock):
    from hotline.reports.kpis import department_kpis
    from hotline.reports.periods import Period

    build(clock)
    p = Period(dt.date(2025, 11, 1), dt.date(2025, 12, 31))
    early = _by_code(department_kpis(p, now=dt.datetime(2025, 12, 2, tzinfo=dt.UTC)))["XC-STHJJ"]
    late = _by_code(department_kpis(p, now=DEC_10))["XC-STHJJ"]
    assert (early["due"], early["resolved_on_time"]) == (3, 2)  # T12 due 12-05, not yet due on 12-02
    assert (late["due"], late["resolved_on_time"]) == (4, 2)  # ... and late once it has passed


def test_weights_are_configurable(app, ctx, clock):
    from hotline.reports.kpis import department_kpis

    build(clock)
    app.config["KPI_WEIGHTS"] = {"response": 0.5, "resolution": 0.25, "satisfaction": 0.25}
    try:
        a = _by_code(department_kpis(month(2025, 11), now=DEC_10))["XC-CGJ"]
    finally:
        app.config.pop("KPI_WEIGHTS")
    assert a["score"] == 75.0  # 100 x (0.5 x 0.6 + 0.25 x 0.8 + 0.25 x 1.0)


def test_kpi_endpoint_contract(api, app, clock):
    with app.app_context():
        build(clock)
    r = api.as_("leader").get("/reports/kpis?from=2025-11-01&to=2025-11-30")
    assert r.status_code == 200
    rows = _by_code(r.get_json())
    a = rows["XC-CGJ"]
    for field in (
        "department",
        "dispatched",
        "signed_on_time_rate",
        "resolved_on_time_rate",
        "resolution_rate",
        "satisfaction_rate",
        "callback_rate",
        "return_rate",
        "reopen_rate",
        "direct_answer_rate",
    ):
        assert field in a
    assert (a["dispatched"], a["signed_on_time_rate"], a["return_rate"], a["direct_answer_rate"]) == (5, 0.6, 0.2, 0.1)
    one = api.as_("supervisor").get("/reports/kpis?from=2025-11-01&to=2025-11-30&department=XC-STHJJ").get_json()
    assert [r["department"] for r in one] == ["XC-STHJJ"] and one[0]["rejected_returns"] == 1
    assert api.as_("dept_cgj").get("/reports/kpis?from=2025-11-01&to=2025-11-30").status_code == 403
    assert api.as_("operator").get("/reports/kpis?from=2025-11-01&to=2025-11-30").status_code == 403
    bad = api.as_("leader").get("/reports/kpis?from=2025-11-31&to=2025-11-30")
    assert bad.status_code == 422 and "from" in bad.get_json()["error"]["fields"]
    bad = api.as_("leader").get("/reports/kpis?from=2025-11-02&to=2025-11-01")
    assert bad.status_code == 422 and "to" in bad.get_json()["error"]["fields"]
    bad = api.as_("leader").get("/reports/kpis?from=2025-11-01&to=2025-11-30&department=NOPE")
    assert bad.status_code == 422 and "department" in bad.get_json()["error"]["fields"]


def test_rankings_month_over_month(api, app, clock):
    with app.app_context():
        build(clock)
    body = api.as_("leader").get("/reports/rankings?month=2025-11").get_json()
    assert body["previous_month"] == "2025-10"
    bureaus = {r["department"]: r for r in body["kinds"]["bureau"]}
    assert bureaus["XC-STHJJ"]["rank"] == 1 and bureaus["XC-STHJJ"]["score"] == 100.0
    assert bureaus["XC-CGJ"]["rank"] == 2 and bureaus["XC-CGJ"]["score"] == 81.0
    # October: CGJ alone scored (100.0, first); STHJJ had no data.
    assert (bureaus["XC-CGJ"]["previous_rank"], bureaus["XC-CGJ"]["rank_change"]) == (1, -1)
    assert bureaus["XC-CGJ"]["score_change"] == -19.0
    assert bureaus["XC-STHJJ"]["previous_rank"] is None and bureaus["XC-STHJJ"]["rank_change"] is None
    assert body["kinds"]["bureau"][0]["department"] == "XC-STHJJ"
    assert set(body["kinds"]) >= {"bureau", "county", "utility"}
    assert all(r["rank"] is None for r in body["kinds"]["county"])


def test_daily_series_for_charts(api, app, clock):
    with app.app_context():
        build(clock)
    days = {d["date"]: d for d in api.as_("supervisor").get("/reports/daily?from=2025-11-01&to=2025-11-30").get_json()}
    assert len(days) == 30
    assert days["2025-11-03"] == {"date": "2025-11-03", "created": 2, "answered": 0, "dispatched": 2, "closed": 0}
    assert days["2025-11-11"] == {"date": "2025-11-11", "created": 2, "answered": 1, "dispatched": 0, "closed": 2}
    assert days["2025-11-12"]["closed"] == 2  # T6 unreachable, T7 excluded
    assert days["2025-11-06"]["dispatched"] == 2 and days["2025-11-04"]["closed"] == 1  # T5 twice; T11
    assert sum(d["dispatched"] for d in days.values()) == 9
    too_long = api.as_("supervisor").get("/reports/daily?from=2025-01-01&to=2025-11-30")
    assert too_long.status_code == 422
    spec = api.get("/openapi.json").get_json()
    assert {"/reports/kpis", "/reports/monthly.xlsx", "/tickets/{id}/contact"} <= set(spec["paths"])
