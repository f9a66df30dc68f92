"""The call centre's API and figures: presence, the call-back list and call-backs through Twilio's REST API
(a local stand-in), linking calls to tickets, and the call-centre figures computed in SQL."""

from __future__ import annotations

import datetime as dt

from rq import Queue, SimpleWorker
from sqlalchemy import insert, select

from hotline.extensions import db, get_redis
from hotline.models import Call, User
from hotline.outbox import relay_all
from hotline.reports.calls import call_centre_figures
from tests.twilio_support import (
    ACCOUNT_SID,
    FakeTwilioApi,
    SignedWebhooks,
    new_call_sid,
    payload,
    twilio_config,
    twilio_mode,
)


def test_presence_api(api, app):
    r = api.as_("operator").get("/operators/me/presence")
    assert r.status_code == 200 and r.get_json()["status"] == "away"
    r = api.as_("operator").post("/operators/me/presence", {"status": "available"})
    assert r.status_code == 200 and r.get_json()["status"] == "available"
    first = r.get_json()["changed_at"]
    # the same status again keeps the idle time (the operator does not lose their place in line)
    assert api.as_("operator").post("/operators/me/presence", {"status": "available"}).get_json()["changed_at"] == first
    r = api.as_("operator").post("/operators/me/presence", {"status": "asleep"})
    assert r.status_code == 422 and "status" in r.get_json()["error"]["fields"]
    assert api.as_("dept_cgj").post("/operators/me/presence", {"status": "available"}).status_code == 403
    listed = api.as_("supervisor").get("/operators/presence").get_json()
    assert [(p["username"], p["status"]) for p in listed] == [("operator", "available")]


def _call(**values) -> dict:
    now = values.pop("base")
    row = {
        "call_sid": new_call_sid(),
        "direction": "inbound",
        "from_number": "+8613812345678",
        "to_number": "+8656312345",
        "line": "12345",
        "status": "completed",
        "started_at": now,
        "updated_at": now,
        "queued": False,
        "callback_needed": False,
        "status_check_failures": 0,
    }
    row.update(values)
    return row


def test_call_centre_figures_in_sql(app, ctx):
    base = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)
    s = dt.timedelta(seconds=1)
    rows = [
        # answered after 5 s, talked 150 s
        _call(
            base=base,
            offered_at=base,
            answered_at=base + 5 * s,
            ended_at=base + 155 * s,
            wait_seconds=5,
            talk_seconds=150,
            outcome="answered",
        ),
        # answered after 25 s, talked 90 s
        _call(
            base=base,
            offered_at=base,
            answered_at=base + 25 * s,
            ended_at=base + 115 * s,
            wait_seconds=25,
            talk_seconds=90,
            outcome="answered",
        ),
        # abandoned after 40 s in the queue, then called back
        _call(
            base=base,
            offered_at=base,
            ended_at=base + 40 * s,
            wait_seconds=40,
            outcome="abandoned",
            callback_needed=True,
            called_back_at=base + 3600 * s,
        ),
        # a voice message, not yet called back
        _call(
            base=base,
            offered_at=base,
            ended_at=base + 60 * s,
            wait_seconds=60,
            outcome="voicemail",
            callback_needed=True,
            recording_url="https://api.twilio.com/rec",
        ),
        # the IVR alone (status check): not offered to a person
        _call(base=base, ended_at=base + 30 * s, outcome="self_service", menu_choice="2"),
        # outside the period, and an outbound call: not counted
        _call(base=base - dt.timedelta(days=2), offered_at=base, answered_at=base, wait_seconds=0, outcome="answered"),
        _call(base=base, direction="outbound", answered_at=base, outcome="answered"),
    ]
    db.session.execute(insert(Call), rows)
    db.session.commit()
    f = call_centre_figures(base - dt.timedelta(hours=1), base + dt.timedelta(hours=1))
    assert (f["calls"], f["offered"], f["answered"], f["abandoned"], f["voicemail"], f["self_service"]) == (
        5,
        4,
        2,
        1,
        1,
        1,
    )
    assert f["answer_rate"] == 0.5 and f["answered_within_15s"] == 1 and f["answered_within_15s_rate"] == 0.25
    assert f["abandon_rate"] == 0.25
    assert f["average_wait_seconds"] == 15.0 and f["average_talk_seconds"] == 120.0
    assert (f["callback_needed"], f["called_back"], f["called_back_rate"]) == (2, 1, 0.5)
    empty = call_centre_figures(base + dt.timedelta(days=5), base + dt.timedelta(days=6))
    assert empty["calls"] == 0 and empty["answer_rate"] is None and empty["average_wait_seconds"] is None


def test_call_report_api(api, client):
    assert "/reports/calls" in client.get("/api/v1/openapi.json").get_json()["paths"]
    assert api.as_("operator").get("/reports/calls?from=2026-11-01&to=2026-11-30").status_code == 403
    r = api.as_("supervisor").get("/reports/calls?from=2026-11-01&to=2026-11-30")
    assert r.status_code == 200 and r.get_json()["calls"] == 0
    assert api.as_("leader").get("/reports/calls?from=2026-11-01&to=2026-11-30").status_code == 200
    r = api.as_("supervisor").get("/reports/calls?from=2026-11-31&to=2026-11-30")
    assert r.status_code == 422 and "from" in r.get_json()["error"]["fields"]
    assert api.as_("supervisor").get("/reports/calls?from=2026-11-30&to=2026-11-01").status_code == 422


def test_missed_call_is_called_back_through_the_rest_api(app, client, api, redis_url):
    """The call-back goes out from a worker (outbox → RQ → Twilio's REST API); Twilio's status callback for
    that outbound call marks the missed call as called back, and the figures count it."""
    twilio = SignedWebhooks(client)
    with FakeTwilioApi() as fake:
        old = twilio_config(app, fake.base)
        old_mode = twilio_mode(app)
        try:
            sid = new_call_sid()
            twilio.post("/voice", payload("voice_incoming", CallSid=sid))
            twilio.post("/voice/menu", payload("gather_digits", CallSid=sid, Digits="1"))
            twilio.post("/voice/queue-exit", payload("enqueue_action", CallSid=sid, QueueResult="hangup"))
            twilio.post("/voice/status", payload("call_status", CallSid=sid))
            listed = api.as_("operator").get("/calls?callback=1").get_json()
            assert [c["call_sid"] for c in listed] == [sid]
            call_id = listed[0]["id"]
            assert api.as_("dept_cgj").post(f"/calls/{call_id}/call-back").status_code == 403
            r = api.as_("operator").post(f"/calls/{call_id}/call-back")
            assert r.status_code == 202, r.get_json()
            assert fake.requests == []  # nothing from the request itself
            with app.app_context():
                relay_all()
                redis = get_redis(redis_url)
                SimpleWorker([Queue(q, connection=redis) for q in ("high", "default", "low")], connection=redis).work(
                    burst=True
                )
            calls = [r for r in fake.requests if r["path"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"]
            assert len(calls) == 1
            form = calls[0]["form"]
            operator_id = api.as_("operator").get("/operators/me/presence").get_json()["user_id"]
            assert form["To"] == "+8613812345678"
            assert (
                form["Url"]
                == f"https://hotline.example.gov.cn/integrations/twilio/voice/call-back?operator={operator_id}"
            )
            assert form["StatusCallback"].endswith(f"/integrations/twilio/voice/status?callback_of={call_id}")
            # Twilio fetches the TwiML of the call-back and reports its progress
            out = new_call_sid()
            xml = twilio.post(
                f"/voice/call-back?operator={operator_id}",
                payload(
                    "call_status",
                    CallSid=out,
                    CallStatus="in-progress",
                    Direction="outbound-api",
                    From="+8656312345",
                    To="+8613812345678",
                ),
            ).data.decode()
            assert f"operator-{operator_id}</Client>" in xml
            path = f"/voice/status?callback_of={call_id}"
            for status in ("ringing", "in-progress", "completed"):
                r = twilio.post(
                    path,
                    payload(
                        "call_status",
                        CallSid=out,
                        CallStatus=status,
                        Direction="outbound-api",
                        From="+8656312345",
                        To="+8613812345678",
                        CallDuration="60",
                    ),
                )
                assert r.status_code == 200
        finally:
            app.config.update(old_mode)
            app.config.update(old)
    missed = api.as_("operator").get(f"/calls/{call_id}").get_json()
    assert missed["called_back_at"] is not None
    assert api.as_("operator").get("/calls?callback=1").get_json() == []
    assert api.as_("operator").post(f"/calls/{call_id}/call-back").status_code == 409
    with app.app_context():
        out_call = db.session.scalar(select(Call).where(Call.call_sid == out))
        assert out_call.direction == "outbound" and out_call.callback_of_id == call_id
        today = dt.datetime.now(dt.UTC)
        f = call_centre_figures(today - dt.timedelta(hours=1), today + dt.timedelta(hours=1))
        assert (f["calls"], f["callback_needed"], f["called_back"]) == (1, 1, 1)


def test_link_a_call_to_the_ticket_made_from_it(app, client, api, make_ticket):
    twilio = SignedWebhooks(client)
    sid = new_call_sid()
    old = twilio_mode(app)
    try:
        assert twilio.post("/voice", payload("voice_incoming", CallSid=sid)).status_code == 200
    finally:
        app.config.update(old)
    call_id = api.as_("operator").get("/calls").get_json()[0]["id"]
    ticket = make_ticket("accepted")
    r = api.as_("operator").post(f"/calls/{call_id}/ticket", {"ticket": ticket["id"]})
    assert r.status_code == 200 and r.get_json()["ticket_id"] == ticket["id"]
    other = make_ticket("accepted")
    assert api.as_("operator").post(f"/calls/{call_id}/ticket", {"ticket": other["id"]}).status_code == 409
    assert api.as_("operator").post(f"/calls/{call_id}/ticket", {"ticket": 999999}).status_code == 404
    assert api.as_("operator").post(f"/calls/{call_id}/ticket", {"ticket": "x"}).status_code == 422
    assert api.as_("operator").post("/calls/999999/ticket", {"ticket": ticket["id"]}).status_code == 404
    assert twilio is not None


def test_simulator_page_needs_a_staff_login(client, app):
    r = client.get("/integrations/console/simulator")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    page = client.get("/login")
    assert page.status_code == 200
    with client.session_transaction() as s:
        csrf = s.get("csrf")
    r = client.post("/login", data={"username": "operator", "password": "demo-operator", "csrf": csrf})
    assert r.status_code == 302
    r = client.get("/integrations/console/simulator")
    assert r.status_code == 200 and "simulator.js" in r.get_data(as_text=True)
    assert "12315" in r.get_data(as_text=True)
    assert client.get("/integrations/console/static/simulator.js").status_code == 200
    assert client.get("/integrations/console/outbox.json").status_code == 403  # phones and codes: supervisors
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.username == "operator"))
