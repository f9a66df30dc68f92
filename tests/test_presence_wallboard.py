"""Presence (available / busy / after-call / away) and the wallboard's live call figures, driven by signed
Twilio webhooks: the figures are integers that follow the call events."""

from __future__ import annotations

import datetime as dt
import time
from email.utils import format_datetime

import pytest
from sqlalchemy import select, update

from hotline.extensions import db
from hotline.models import OperatorPresence, OutboxMessage, User
from tests.twilio_support import SignedWebhooks, new_call_sid, payload, twilio_mode


def now_header() -> str:
    return format_datetime(dt.datetime.now(dt.UTC), usegmt=True)


def figures(api) -> dict:
    w = api.as_("supervisor").get("/wallboard").get_json()
    return {
        "waiting": w["calls_waiting"],
        "free": w["operators_free"],
        "busy": w["operators"]["busy"],
        "answered": w["calls_today"]["answered"],
        "within": w["calls_today"]["answered_within_15s"],
        "abandoned": w["calls_today"]["abandoned"],
    }


def user_id(app, username: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == username))


def socket_events(app, event_type: str) -> list[dict]:
    with app.app_context():
        rows = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "socket").order_by(OutboxMessage.id)
        )
        return [r.payload for r in rows if r.payload["event"]["type"] == event_type]


def test_wallboard_call_figures_follow_the_call_events(app, client, api):
    twilio = SignedWebhooks(client)
    old = twilio_mode(app)
    try:
        empty = api.as_("supervisor").get("/wallboard").get_json()
        assert empty["calls_waiting"] == 0 and empty["operators_free"] == 0 and empty["longest_wait_seconds"] == 0
        assert api.as_("operator").post("/operators/me/presence", {"status": "available"}).status_code == 200
        assert figures(api)["free"] == 1

        # a caller asks for a person: it rings at the operator, and waits until answered
        sid = new_call_sid()
        assert twilio.post("/voice", payload("voice_incoming", CallSid=sid)).status_code == 200
        xml = twilio.post("/voice/menu", payload("voice_incoming", CallSid=sid, Digits="0")).data.decode()
        assert f"operator-{user_id(app, 'operator')}</Client>" in xml
        assert figures(api) == {"waiting": 1, "free": 0, "busy": 1, "answered": 0, "within": 0, "abandoned": 0}
        ringing = [e for e in socket_events(app, "call") if e["event"]["op"] == "ringing"]
        assert len(ringing) == 1 and "supervisors" in ringing[0]["rooms"]

        leg = payload("dial_leg_status", ParentCallSid=sid, CallSid=new_call_sid(), Timestamp=now_header())
        assert twilio.post("/voice/status", leg).status_code == 200
        assert figures(api) == {"waiting": 0, "free": 0, "busy": 1, "answered": 1, "within": 1, "abandoned": 0}
        assert [e["event"]["op"] for e in socket_events(app, "call")] == ["ringing", "answered"]

        # a second caller finds nobody free: on hold, then hangs up (abandoned)
        other = new_call_sid()
        twilio.post("/voice", payload("voice_incoming", CallSid=other, From="+8613900001111"))
        assert (
            "<Enqueue" in twilio.post("/voice/menu", payload("voice_incoming", CallSid=other, Digits="0")).data.decode()
        )
        w = api.as_("supervisor").get("/wallboard").get_json()
        assert w["calls_waiting"] == 2 - 1 and isinstance(w["longest_wait_seconds"], int) and w["oldest_waiting_since"]
        twilio.post("/voice/queue-exit", payload("enqueue_action", CallSid=other, QueueResult="hangup"))
        twilio.post(
            "/voice/status", payload("call_status", CallSid=other, From="+8613900001111", Timestamp=now_header())
        )
        assert figures(api)["abandoned"] == 1 and figures(api)["waiting"] == 0

        # the first call ends: the operator is free again
        leg["CallStatus"] = "completed"
        twilio.post("/voice/status", leg)
        assert figures(api)["free"] == 1
    finally:
        app.config.update(old)


def test_after_call_work_has_a_timer_that_returns_the_operator(app, api, ctx):
    from hotline.tasks.presence import end_after_call

    r = api.as_("operator").post("/operators/me/presence", {"status": "after_call", "seconds": 45})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["status"] == "after_call"
    until = dt.datetime.fromisoformat(body["after_call_until"])
    assert 44 <= (until - dt.datetime.fromisoformat(body["changed_at"])).total_seconds() <= 46
    jobs = [
        r.payload
        for r in db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "job"))
        if r.payload["func"] == "hotline.tasks.presence.end_after_call"
    ]
    assert len(jobs) == 1 and dt.datetime.fromisoformat(jobs[0]["at"]) == until
    assert [e["event"]["status"] for e in socket_events(app, "operator")] == ["after_call"]
    assert (
        figures(api)["free"] == 0 and api.as_("supervisor").get("/wallboard").get_json()["operators"]["after_call"] == 1
    )

    # bad timers are refused, naming the field
    for bad in (0, 4000, "x"):
        r = api.as_("operator").post("/operators/me/presence", {"status": "after_call", "seconds": bad})
        assert r.status_code == 422 and "seconds" in r.get_json()["error"]["fields"]

    assert end_after_call(*jobs[0]["args"]) is True
    assert api.as_("operator").get("/operators/me/presence").get_json()["status"] == "available"
    assert end_after_call(*jobs[0]["args"]) is False  # safe to run twice
    assert [e["event"]["status"] for e in socket_events(app, "operator")] == ["after_call", "available"]


def test_an_expired_after_call_timer_counts_as_available_for_routing(app, client, api):
    twilio = SignedWebhooks(client)
    old = twilio_mode(app)
    try:
        api.as_("operator").post("/operators/me/presence", {"status": "after_call", "seconds": 30})
        sid = new_call_sid()
        twilio.post("/voice", payload("voice_incoming", CallSid=sid))
        assert (
            "<Enqueue" in twilio.post("/voice/menu", payload("voice_incoming", CallSid=sid, Digits="0")).data.decode()
        )
        twilio.post("/voice/status", payload("call_status", CallSid=sid, Timestamp=now_header()))
        with app.app_context():  # the timer ran out (its job has not run yet)
            past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
            db.session.execute(update(OperatorPresence).values(after_call_until=past))
            db.session.commit()
        assert figures(api)["free"] == 1
        sid = new_call_sid()
        twilio.post("/voice", payload("voice_incoming", CallSid=sid))
        assert (
            "</Client>" in twilio.post("/voice/menu", payload("voice_incoming", CallSid=sid, Digits="0")).data.decode()
        )
    finally:
        app.config.update(old)


def _socket(url: str, token: str):
    import socketio

    client = socketio.Client(reconnection=False)
    client.connect(url, namespaces=["/agents"], auth={"token": token}, transports=["websocket"], wait_timeout=10)
    return client


def _jobs(app, func: str) -> list[dict]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "job").order_by(OutboxMessage.id))
        return [r.payload for r in rows if r.payload["func"] == func]


def _wait_for(pred, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.05)
    return pred()


@pytest.mark.slow  # starts processes
def test_a_console_gone_for_a_minute_sets_its_operator_away(app, api, database_uri, redis_url, tmp_path):
    """Through a real server (gunicorn) and a real Socket.IO client: the last socket closing schedules the away
    check a minute later; the check (run here, as the worker would) sets away only if none came back."""
    from hotline.actions.presence import away_if_console_gone
    from tests.live_server import web_servers

    operator = user_id(app, "operator")
    api.as_("operator").post("/operators/me/presence", {"status": "available"})
    with web_servers(database_uri, redis_url, tmp_dir=str(tmp_path)) as (url,):
        first, second = _socket(url, api.token("operator")), _socket(url, api.token("operator"))
        first.disconnect()
        time.sleep(0.3)
        assert _jobs(app, "hotline.tasks.presence.away_if_gone") == []  # one console socket is still open
        second.disconnect()
        jobs = _wait_for(lambda: _jobs(app, "hotline.tasks.presence.away_if_gone"))
        assert len(jobs) == 1 and jobs[0]["args"] == [operator]
        due = dt.datetime.fromisoformat(jobs[0]["at"]) - dt.datetime.now(dt.UTC)
        assert 50 <= due.total_seconds() <= 60
        with app.app_context():
            assert away_if_console_gone(operator, time.time() + 30) is False  # not a minute yet
        assert api.as_("operator").get("/operators/me/presence").get_json()["status"] == "available"

        # it came back within the minute: the check finds it connected
        again = _socket(url, api.token("operator"))
        with app.app_context():
            assert away_if_console_gone(operator, time.time() + 61) is False
        again.disconnect()
        _wait_for(lambda: len(_jobs(app, "hotline.tasks.presence.away_if_gone")) == 2)
        with app.app_context():
            assert away_if_console_gone(operator, time.time() + 61) is True
            assert away_if_console_gone(operator, time.time() + 61) is False  # already away
        assert api.as_("operator").get("/operators/me/presence").get_json()["status"] == "away"
        assert socket_events(app, "operator")[-1]["event"]["status"] == "away"

        # a department user's socket is not a console
        _socket(url, api.token("dept_cgj")).disconnect()
        time.sleep(0.3)
        assert len(_jobs(app, "hotline.tasks.presence.away_if_gone")) == 2
