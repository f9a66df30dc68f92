"""Callback surveys (回访) end to end: approve reply -> callback job in an in-process RQ worker -> outbound
call on a local stand-in for Twilio's REST API -> survey webhook with digits (signed) -> closed or the
verification queue -> reopen -> second round. Time is injected (CALLBACK_CLOCK) in a year ahead, so every
job is really scheduled in RQ and runs only when the test moves the clock past it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from rq import Queue, SimpleWorker
from rq.job import Job
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from hotline.deadlines.calendar import WorkingCalendar
from hotline.deadlines.callback_window import CallbackWindow
from hotline.extensions import db, get_redis
from hotline.models import Callback, CallbackAttempt, Caller, OutboxMessage, Ticket, TimelineEvent
from hotline.outbox import relay_all
from hotline.tasks import QUEUES
from tests.twilio_support import ACCOUNT_SID, AUTH_TOKEN, FakeTwilioApi, twilio_config

CST = ZoneInfo("Asia/Shanghai")
SID = ACCOUNT_SID
TOKEN = AUTH_TOKEN
PUBLIC = "https://hotline.example.cn"
PHONE = "+8613812345678"


def cst(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CST).astimezone(dt.UTC)


# ---- Twilio: the shared local stand-in for its REST API (tests/twilio_support.py) ---------------------


DEMO_LIAISONS = {"+8613900000001", "+8613900000002", "+8613900000003", "+8613900000004"}


class Twilio:
    def __init__(self, api: FakeTwilioApi):
        self.api = api

    def calls(self) -> list[dict]:
        return [r["form"] for r in self.api.requests if r["path"] == f"/2010-04-01/Accounts/{SID}/Calls.json"]

    def messages(self) -> list[dict]:
        """SMS to callers (the departments' liaisons are told of dispatches too: not what these tests count)."""
        return [
            r["form"]
            for r in self.api.requests
            if r["path"] == f"/2010-04-01/Accounts/{SID}/Messages.json" and r["form"]["To"] not in DEMO_LIAISONS
        ]


@pytest.fixture
def twilio(app):
    overrides = {
        "PUBLIC_URL": PUBLIC,
        "CALLBACK_DELAY_MINUTES": "",
        "CALLBACK_WINDOW": "08:30-20:00",
        "CALLBACK_DIRECT_SAMPLE": 0.0,
    }
    saved = {k: app.config.get(k) for k in [*overrides, "CALLBACK_CLOCK"]}
    with FakeTwilioApi() as fake:
        old = twilio_config(app, fake.base)
        app.config.update(overrides)
        try:
            yield Twilio(fake)
        finally:
            app.config.update(old)
            app.config.update(saved)


class Clock:
    """Moves the callbacks' clock and runs, in an in-process worker, every job due by then."""

    def __init__(self, app, redis_url: str):
        self.app, self.redis = app, get_redis(redis_url)

    def set(self, at: dt.datetime) -> None:
        self.app.config["CALLBACK_CLOCK"] = lambda: at

    def run_until(self, at: dt.datetime) -> int:
        self.set(at)
        ran = 0
        with self.app.app_context():
            queues = [Queue(name, connection=self.redis) for name in QUEUES]
            for _ in range(20):
                relay_all()
                for q in queues:
                    registry = q.scheduled_job_registry
                    for job_id in registry.get_job_ids():
                        if registry.get_scheduled_time(job_id) <= at:
                            job = Job.fetch(job_id, connection=self.redis)
                            registry.remove(job)
                            q.enqueue_job(job)
                waiting = sum(q.count for q in queues)
                if not waiting:
                    break
                ran += waiting
                SimpleWorker(queues, connection=self.redis).work(burst=True)
            db.session.remove()
        return ran


@pytest.fixture
def clock(app, redis_url):
    return Clock(app, redis_url)


def signed_post(client, path: str, form: dict, token: str = TOKEN):
    signature = RequestValidator(token).compute_signature(PUBLIC + path, form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def callback_of(app, ticket_id: int, rnd: int = 1) -> Callback:
    with app.app_context():
        cb = db.session.scalar(select(Callback).where(Callback.ticket_id == ticket_id, Callback.round == rnd))
        assert cb is not None
        cb.attempts  # noqa: B018 - load them before the session goes
        db.session.expunge_all()
        return cb


def ticket_row(app, ticket_id: int) -> Ticket:
    with app.app_context():
        t = db.session.get(Ticket, ticket_id)
        db.session.expunge_all()
        return t


def counts(app, ticket_id: int) -> tuple[int, int, int]:
    with app.app_context():
        return (
            db.session.scalar(
                select(func.count()).select_from(TimelineEvent).where(TimelineEvent.ticket_id == ticket_id)
            ),
            db.session.scalar(select(func.count()).select_from(CallbackAttempt)),
            db.session.scalar(select(func.count()).select_from(OutboxMessage)),
        )


def answer_survey(client, cb_id: int, resolved: str, satisfaction: str, call_sid: str) -> list:
    """The IVR as Twilio drives it: fetch the survey, press the resolved digit, press the satisfaction digit."""
    path = f"/integrations/twilio/survey/{cb_id}"
    base = {"CallSid": call_sid, "AccountSid": SID, "From": "+12345", "To": PHONE, "CallStatus": "in-progress"}
    first = signed_post(client, path, base)
    second = signed_post(client, path + "?q=resolved", {**base, "Digits": resolved})
    third = signed_post(client, path + f"?q=satisfaction&resolved={resolved}", {**base, "Digits": satisfaction})
    return [first, second, third]


# A Tuesday in a year ahead (Monday-Friday working days there), 09:00 in Shanghai.
T0 = cst(2030, 3, 5, 9, 0)
WED_0830 = cst(2030, 3, 6, 8, 30)


def approve(api, make_ticket, clock) -> dict:
    clock.set(T0)
    t = make_ticket("reply_review")
    t = api.as_("supervisor").act(t["id"], "approve-reply").get_json()
    assert t["status"] == "callback_pending"
    return t


# ---- the window ------------------------------------------------------------------------------


def test_window_next_business_day_and_delay():
    cal = WorkingCalendar()
    win = CallbackWindow("08:30-20:00", cal)
    # Approved on a Friday afternoon: Monday 08:30.
    assert win.first_callback(cst(2026, 11, 27, 15, 0), "") == cst(2026, 11, 30, 8, 30)
    # Approved before the 2026 National Day holiday (Oct 1-7): the first working day after it, 08:30.
    first = win.first_callback(cst(2026, 9, 30, 10, 0), None)
    assert first.astimezone(CST).date() > dt.date(2026, 10, 7) and first.astimezone(CST).time() == dt.time(8, 30)
    # With a delay: 30 minutes, moved into the window when it would fall after 20:00.
    assert win.first_callback(cst(2026, 11, 26, 10, 0), "30") == cst(2026, 11, 26, 10, 30)
    assert win.first_callback(cst(2026, 11, 26, 19, 50), 30) == cst(2026, 11, 27, 8, 30)
    assert win.contains(cst(2026, 11, 26, 8, 30)) and not win.contains(cst(2026, 11, 26, 20, 0))
    assert not win.contains(cst(2026, 11, 28, 10, 0))  # a Saturday
    assert CallbackWindow("09:00-12:00", cal).next_allowed(cst(2026, 11, 26, 12, 0)) == cst(2026, 11, 27, 9, 0)
    with pytest.raises(ValueError):
        CallbackWindow("20:00-08:00", cal)


def test_bad_window_or_delay_settings_fall_back_to_the_defaults(app, api, make_ticket, twilio, clock):
    app.config.update(CALLBACK_WINDOW="8-20", CALLBACK_DELAY_MINUTES="soon")
    t = approve(api, make_ticket, clock)
    assert callback_of(app, t["id"]).next_attempt_at == WED_0830


# ---- the whole story -----------------------------------------------------------------------------


def test_end_to_end_dissatisfied_reopened_second_round_closed(app, api, client, make_ticket, twilio, clock):
    t = approve(api, make_ticket, clock)
    cb = callback_of(app, t["id"])
    assert cb.status == "scheduled" and cb.next_attempt_at == WED_0830

    clock.run_until(T0 + dt.timedelta(hours=3))  # nothing is due yet: the callback is tomorrow
    assert twilio.calls() == []
    clock.run_until(WED_0830)
    calls = twilio.calls()
    assert len(calls) == 1
    assert calls[0]["To"] == PHONE and calls[0]["From"]
    assert calls[0]["Url"] == f"{PUBLIC}/integrations/twilio/survey/{cb.id}"
    assert calls[0]["StatusCallback"] == f"{PUBLIC}/integrations/twilio/survey/{cb.id}/status"
    call_sid = callback_of(app, t["id"]).attempts[0].provider_sid
    assert call_sid and call_sid.startswith("CA")

    # Unsigned or wrongly signed: 403, nothing recorded.
    path = f"/integrations/twilio/survey/{cb.id}"
    assert client.post(path, data={"CallSid": call_sid}).status_code == 403
    assert signed_post(client, path, {"CallSid": call_sid}, token="wrong").status_code == 403

    first, second, third = answer_survey(client, cb.id, "3", "3", call_sid)
    for r in (first, second, third):
        assert r.status_code == 200 and r.mimetype == "text/xml"
    assert "<Gather" in first.text and 'language="zh-CN"' in first.text and "是否已解决" in first.text
    assert "q=satisfaction&amp;resolved=3" in second.text and "满意请按1" in second.text
    assert "感谢您的评价" in third.text and "<Hangup" in third.text

    sup = api.as_("supervisor")
    ticket = sup.get(f"/tickets/{t['id']}").get_json()
    assert ticket["status"] == "callback_pending"
    assert [x["id"] for x in sup.get("/queues/supervisor").get_json()["dissatisfied"]] == [t["id"]]
    row = ticket_row(app, t["id"])
    assert (row.callback_resolved, row.callback_satisfaction) == (3, 3)

    # Twilio retries the last webhook, and then reports the call completed: nothing changes.
    before = counts(app, t["id"])
    again = signed_post(
        client, path + "?q=satisfaction&resolved=3", {"CallSid": call_sid, "AccountSid": SID, "Digits": "1"}
    )
    assert again.status_code == 200 and "感谢" in again.text
    assert signed_post(client, path + "/status", {"CallSid": call_sid, "CallStatus": "completed"}).status_code == 200
    assert counts(app, t["id"]) == before
    assert ticket_row(app, t["id"]).callback_satisfaction == 3
    assert callback_of(app, t["id"]).attempts[0].outcome == "answered"

    # 重办: back to the same department with a new sign clock; the second round gets its own callback.
    ticket = sup.act(t["id"], "reopen", {"note": "核实属实"}).get_json()
    assert ticket["status"] == "reopened" and ticket["department"] == "XC-CGJ" and ticket["sign_due_at"]
    dept = api.as_("dept_cgj")
    assert dept.act(t["id"], "sign").status_code == 200
    assert dept.act(t["id"], "reply", {"text": "已重新维修"}).status_code == 200
    clock.set(cst(2030, 3, 6, 15, 0))
    assert sup.act(t["id"], "approve-reply").get_json()["status"] == "callback_pending"
    cb2 = callback_of(app, t["id"], rnd=2)
    assert cb2.next_attempt_at == cst(2030, 3, 7, 8, 30)
    clock.run_until(cst(2030, 3, 7, 8, 30))
    assert len(twilio.calls()) == 2 and twilio.calls()[1]["Url"].endswith(f"/survey/{cb2.id}")
    sid2 = callback_of(app, t["id"], rnd=2).attempts[0].provider_sid
    answer_survey(client, cb2.id, "1", "2", sid2)
    ticket = sup.get(f"/tickets/{t['id']}").get_json()
    assert ticket["status"] == "closed"
    row = ticket_row(app, t["id"])
    assert (row.callback_resolved, row.callback_satisfaction, row.close_reason) == (1, 2, "rated")
    assert sup.get("/queues/supervisor").get_json()["dissatisfied"] == []
    actions = [e["action"] for e in ticket["timeline"]]
    assert actions.count("record-callback") == 2 and actions.count("reopen") == 1
    rounds = sup.get(f"/tickets/{t['id']}/callbacks").get_json()
    assert [(c["round"], c["status"], c["satisfaction"], c["answered_via"]) for c in rounds] == [
        (1, "answered", 3, "call"),
        (2, "answered", 2, "call"),
    ]
    assert api.as_("dept_cgj").get(f"/tickets/{t['id']}/callbacks").status_code == 403


def test_retries_at_different_times_then_sms_survey_answered(app, api, client, make_ticket, twilio, clock):
    t = approve(api, make_ticket, clock)
    cb_id = callback_of(app, t["id"]).id
    status_path = f"/integrations/twilio/survey/{cb_id}/status"
    outcomes = ["no-answer", "busy", "failed"]
    at = WED_0830
    times = []
    for n, outcome in enumerate(outcomes, start=1):
        clock.run_until(at)
        assert len(twilio.calls()) == n, n
        cb = callback_of(app, t["id"])
        attempt = cb.attempts[-1]
        times.append(attempt.started_at)
        r = signed_post(client, status_path, {"CallSid": attempt.provider_sid, "CallStatus": outcome})
        assert r.status_code == 200
        # the same status callback again changes nothing
        before = counts(app, t["id"])
        signed_post(client, status_path, {"CallSid": attempt.provider_sid, "CallStatus": outcome})
        assert counts(app, t["id"]) == before
        at = callback_of(app, t["id"]).next_attempt_at
    win = CallbackWindow("08:30-20:00", WorkingCalendar())
    assert all(win.contains(x) for x in times)
    assert len({x.astimezone(CST).time() for x in times}) == 3 or len({x.date() for x in times}) > 1
    assert times == [WED_0830, cst(2030, 3, 6, 12, 30), cst(2030, 3, 7, 12, 30)]

    clock.run_until(at)  # after three failed calls: the SMS survey, no fourth call
    assert len(twilio.calls()) == 3
    sms = twilio.messages()
    assert len(sms) == 3  # the receipt at intake, the reply notice at approval, then the survey
    assert sms[-1]["To"] == PHONE and t["number"] in sms[-1]["Body"] and "TD" in sms[-1]["Body"]
    assert callback_of(app, t["id"]).status == "sms_sent"

    from hotline.actions import handle_survey_sms

    with app.app_context():
        assert handle_survey_sms("13812345678", "我要投诉") is None  # not for the survey
        assert "感谢" in handle_survey_sms("13812345678", "１２", "SM1")  # full-width digits as phones send them
        assert "感谢" in handle_survey_sms("13812345678", "33", "SM1")  # Twilio retries the same message
        assert handle_survey_sms("13812345678", "12", "SM2") is None  # no survey waiting any more
    row = ticket_row(app, t["id"])
    assert (row.status, row.callback_resolved, row.callback_satisfaction) == ("closed", 1, 2)
    cb = callback_of(app, t["id"])
    assert [(a.channel, a.outcome) for a in cb.attempts] == [
        ("call", "no-answer"),
        ("call", "busy"),
        ("call", "failed"),
        ("sms", "replied"),
    ]
    assert cb.answered_via == "sms"


def test_no_answer_anywhere_closes_unrated_as_unreachable(app, api, make_ticket, twilio, clock):
    """No status callback ever arrives (the watchdog counts the call as failed), nor an SMS reply."""
    t = approve(api, make_ticket, clock)
    for _ in range(12):
        cb = callback_of(app, t["id"])
        if cb.next_attempt_at is None:
            break
        clock.run_until(cb.next_attempt_at)
    # SMS: the receipt at intake, the reply notice, the survey, and the close (办结) notice
    assert len(twilio.calls()) == 3 and len(twilio.messages()) == 4
    assert "已办结" in twilio.messages()[-1]["Body"]
    row = ticket_row(app, t["id"])
    assert row.status == "closed" and row.close_reason == "unreachable"
    assert row.callback_satisfaction is None and row.callback_resolved is None
    cb = callback_of(app, t["id"])
    assert cb.status == "unreachable"
    assert [a.outcome for a in cb.attempts] == ["timeout", "timeout", "timeout", "expired"]
    timeline = api.as_("supervisor").get(f"/tickets/{t['id']}").get_json()["timeline"]
    assert timeline[-1]["action"] == "close-unreachable" and timeline[-1]["to_status"] == "closed"


@pytest.mark.parametrize("when", [cst(2030, 3, 6, 21, 0), cst(2030, 3, 9, 10, 0), cst(2030, 3, 6, 8, 29)])
def test_no_call_outside_the_window(app, api, make_ticket, twilio, clock, when):
    """A job that runs late at night, on a Saturday, or early places no call and moves to the next window."""
    t = approve(api, make_ticket, clock)
    with app.app_context():
        from hotline.tasks.callbacks import run_callback

        cb = db.session.scalar(select(Callback).where(Callback.ticket_id == t["id"]))
        clock.set(when)
        run_callback(cb.id, cb.seq)  # the job itself, run at the wrong time
    assert twilio.calls() == []
    cb = callback_of(app, t["id"])
    expected = {
        cst(2030, 3, 6, 21, 0): cst(2030, 3, 7, 8, 30),
        cst(2030, 3, 9, 10, 0): cst(2030, 3, 11, 8, 30),
        cst(2030, 3, 6, 8, 29): WED_0830,
    }[when]
    assert cb.status == "scheduled" and cb.next_attempt_at == expected and cb.attempts == []
    clock.run_until(expected)
    assert len(twilio.calls()) == 1


def test_opt_out_by_sms_is_respected(app, api, make_ticket, twilio, clock):
    from hotline.actions import handle_survey_sms

    t = approve(api, make_ticket, clock)
    with app.app_context():
        assert "退订" in handle_survey_sms("+8613812345678", " td ")
        assert db.session.scalar(select(Caller.do_not_call).where(Caller.phone == PHONE)) is True
    clock.run_until(WED_0830)
    assert twilio.calls() == [] and len(twilio.messages()) == 1  # only the reply notice sent at approval
    row = ticket_row(app, t["id"])
    assert row.status == "closed" and row.close_reason == "do_not_call" and row.callback_satisfaction is None
    assert callback_of(app, t["id"]).status == "opted_out"


def test_direct_answers_are_sampled(app, api, client, twilio, clock):
    from tests.conftest import new_ticket_body

    clock.set(T0)
    op = api.as_("operator")
    app.config["CALLBACK_DIRECT_SAMPLE"] = 0.0
    t = op.post("/tickets", new_ticket_body()).get_json()
    op.act(t["id"], "answer", {"text": "已按政策解答"})
    app.config["CALLBACK_DIRECT_SAMPLE"] = 1.0
    u = op.post("/tickets", new_ticket_body()).get_json()
    assert op.act(u["id"], "answer", {"text": "已按政策解答"}).get_json()["status"] == "closed"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Callback).where(Callback.ticket_id == t["id"])) == 0
    cb = callback_of(app, u["id"])
    assert cb.reason == "direct"
    clock.run_until(WED_0830)
    assert len(twilio.calls()) == 1
    answer_survey(client, cb.id, "1", "1", callback_of(app, u["id"]).attempts[0].provider_sid)
    row = ticket_row(app, u["id"])
    assert (row.status, row.close_reason, row.callback_satisfaction) == ("closed", "answered", 1)
    # a 10% sample picks about a tenth
    from hotline.actions.callbacks import sampled

    app.config["CALLBACK_DIRECT_SAMPLE"] = 0.1
    with app.app_context():
        picked = sum(sampled(Ticket(number=f"XC20301010{n:05d}")) for n in range(2000))
    assert 140 < picked < 260


def test_close_excluded_needs_a_supervisor_a_reason_and_dissatisfaction(app, api, make_ticket, twilio, clock):
    t = approve(api, make_ticket, clock)
    sup = api.as_("supervisor")
    r = sup.act(t["id"], "close-excluded", {"reason": "依法处罚"})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "not_dissatisfied"
    assert api.as_("operator").act(t["id"], "record-callback", {"resolved": 3, "satisfaction": 3}).status_code == 200
    assert api.as_("operator").act(t["id"], "close-excluded", {"reason": "依法处罚"}).status_code == 403
    r = sup.act(t["id"], "close-excluded", {"reason": "  "})
    assert r.status_code == 422 and "reason" in r.get_json()["error"]["fields"]
    r = sup.act(t["id"], "close-excluded", {"reason": "依法执法，当事人对处罚不服"})
    assert r.status_code == 200 and r.get_json()["status"] == "closed"
    row = ticket_row(app, t["id"])
    assert row.satisfaction_excluded is True and row.close_reason == "excluded" and row.callback_satisfaction == 3
    # the manual rating answered the callback: its scheduled call never happens
    clock.run_until(WED_0830)
    assert twilio.calls() == []
    assert callback_of(app, t["id"]).answered_via == "manual"
    assert "close-excluded" in api.as_("supervisor").get("/openapi.json").get_json()["paths"].__str__()


def test_manual_calling_list(app, api, client, make_ticket, twilio, clock):
    t = approve(api, make_ticket, clock)
    sup = api.as_("supervisor")
    assert api.as_("dept_cgj").get("/callbacks").status_code == 403
    assert sup.get("/callbacks?list=nope").status_code == 422
    assert sup.get("/callbacks?list=due").get_json()["items"] == []  # not before Wednesday 08:30
    clock.set(WED_0830)
    due = sup.get("/callbacks?list=due").get_json()["items"]
    assert [c["ticket_id"] for c in due] == [t["id"]] and due[0]["phone"] == PHONE
    clock.run_until(WED_0830)
    cb = callback_of(app, t["id"])
    signed_post(
        client,
        f"/integrations/twilio/survey/{cb.id}/status",
        {"CallSid": cb.attempts[0].provider_sid, "CallStatus": "no-answer"},
    )
    failed = sup.get("/callbacks?list=failed").get_json()["items"]
    assert [c["id"] for c in failed] == [cb.id] and failed[0]["attempts"][0]["outcome"] == "no-answer"

    r = sup.post(f"/callbacks/{cb.id}/attempts", {"outcome": "maybe"})
    assert r.status_code == 422 and "outcome" in r.get_json()["error"]["fields"]
    r = sup.post(f"/callbacks/{cb.id}/attempts", {"outcome": "answered", "resolved": 1})
    assert r.status_code == 422 and "satisfaction" in r.get_json()["error"]["fields"]
    r = sup.post(f"/callbacks/{cb.id}/attempts", {"outcome": "busy", "note": "占线"})
    assert r.status_code == 201 and r.get_json()["attempts"][-1]["outcome"] == "busy"
    r = sup.post(f"/callbacks/{cb.id}/attempts", {"outcome": "answered", "resolved": 2, "satisfaction": 2})
    assert r.status_code == 201 and r.get_json()["status"] == "answered"
    assert sup.get(f"/tickets/{t['id']}").get_json()["status"] == "closed"
    assert sup.post(f"/callbacks/{cb.id}/attempts", {"outcome": "busy"}).status_code == 409
    assert sup.get("/callbacks?list=failed").get_json()["items"] == []
    # the retry that was planned after the missed call finds the callback answered and calls nobody
    clock.run_until(cst(2030, 3, 8, 20, 0))
    assert len(twilio.calls()) == 1


def test_supervisor_may_close_unreachable_by_hand(app, api, make_ticket, twilio, clock):
    t = approve(api, make_ticket, clock)
    r = api.as_("supervisor").act(t["id"], "close-unreachable", {"note": "多次联系未果"})
    assert r.status_code == 200 and r.get_json()["status"] == "closed"
    assert ticket_row(app, t["id"]).close_reason == "unreachable"
    assert callback_of(app, t["id"]).status == "unreachable"
    clock.run_until(cst(2030, 3, 8, 20, 0))
    assert twilio.calls() == []


def test_calling_list_page(app, api, client, make_ticket, twilio, clock):
    import re

    t = approve(api, make_ticket, clock)
    cb = callback_of(app, t["id"])
    clock.set(WED_0830)

    def login(username: str) -> str:
        # The login form needs the CSRF token its page put in the session.
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
        assert (
            client.post(
                "/login", data={"username": username, "password": f"demo-{username}", "csrf": token}
            ).status_code
            == 302
        )
        return token

    csrf = login("dept_cgj")
    assert client.get("/agents/callbacks").status_code == 403
    client.post("/logout", data={"csrf": csrf})
    login("supervisor")
    page = client.get("/agents/callbacks")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "回访" in html and t["number"] in html and PHONE in html
    csrf = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
    action = f"/agents/callbacks/{cb.id}/attempts"
    assert client.post(action, data={"outcome": "answered", "resolved": "1"}).status_code == 400  # no CSRF token
    bad = client.post(action, data={"csrf": csrf, "outcome": "answered", "resolved": "1"})
    assert bad.status_code == 422 and "satisfaction" in bad.get_data(as_text=True)
    ok = client.post(
        action, data={"csrf": csrf, "outcome": "answered", "resolved": "1", "satisfaction": "1", "note": "人工回访"}
    )
    assert ok.status_code == 302
    row = ticket_row(app, t["id"])
    assert (row.status, row.callback_satisfaction) == ("closed", 1)
    assert t["number"] not in client.get("/agents/callbacks").get_data(as_text=True)


def test_a_lost_job_is_replanned_by_the_sweep(app, api, make_ticket, twilio, clock, redis_url):
    from hotline.tasks.callbacks import sweep
    from hotline.tasks.schedule import SCHEDULE

    assert "hotline.tasks.callbacks.sweep" in {p.func for p in SCHEDULE}
    t = approve(api, make_ticket, clock)
    with app.app_context():
        relay_all()
    get_redis(redis_url).flushdb()  # the scheduled job is gone with Redis's data
    clock.run_until(WED_0830 + dt.timedelta(minutes=5))
    assert twilio.calls() == []
    with app.app_context():
        assert sweep() == 0  # within the grace period: the job may just be late
    clock.set(WED_0830 + dt.timedelta(minutes=15))
    with app.app_context():
        assert sweep() == 1
    clock.run_until(WED_0830 + dt.timedelta(minutes=15))
    assert len(twilio.calls()) == 1
    with app.app_context():
        assert sweep() == 0  # the call step moved on (its watchdog is 30 minutes away)
    cb = callback_of(app, t["id"])
    assert cb.status == "calling" and len(cb.attempts) == 1
