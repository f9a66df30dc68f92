"""The calls page's API: any day's call log (numbers masked for leaders), voice messages whose audio the worker
fetches from Twilio (a local stand-in) and our server plays, tickets made from a call (the leader on duty only for
calls routed to them), and the pages themselves."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from rq import Queue, SimpleWorker
from sqlalchemy import select

from hotline.extensions import db, get_redis
from hotline.models import Call, User
from hotline.outbox import relay_all
from tests.conftest import new_ticket_body
from tests.test_consoles_api import login
from tests.twilio_support import (
    ACCOUNT_SID,
    FakeTwilioApi,
    SignedWebhooks,
    new_call_sid,
    payload,
    twilio_config,
    twilio_mode,
)


def run_worker(app, redis_url) -> None:
    with app.app_context():
        relay_all()
        redis = get_redis(redis_url)
        queues = [Queue(q, connection=redis) for q in ("high", "default", "low")]
        SimpleWorker(queues, connection=redis).work(burst=True)


def test_voice_message_audio_is_fetched_by_the_worker_and_played_through_the_server(app, client, api, redis_url):
    twilio = SignedWebhooks(client)
    with FakeTwilioApi() as fake:
        old_config = twilio_config(app, fake.base)
        old = {**twilio_mode(app), **old_config}  # the earliest values win
        try:
            sid = new_call_sid()
            twilio.post("/voice", payload("voice_incoming", CallSid=sid))
            form = payload("record_action", CallSid=sid, TranscriptionText="楼道灯坏了")
            assert twilio.post("/voice/voicemail", form).status_code == 200
            listed = api.as_("operator").get("/calls?voicemail=1")
            assert listed.status_code == 200, listed.get_json()
            call = listed.get_json()[0]
            assert call["voicemail"] is True and call["recording"] == f"/api/v1/calls/{call['id']}/recording"
            assert call["ticket_number"] and call["ticket_id"]
            # never Twilio's URL: not in the call, not in the ticket
            assert "twilio.com" not in json.dumps(api.as_("operator").get("/calls").get_json())
            ticket = api.as_("operator").get(f"/tickets/{call['ticket_id']}").get_json()
            assert "twilio.com" not in json.dumps(ticket) and "楼道灯坏了" in ticket["content"]

            r = api.as_("operator").get(f"/calls/{call['id']}/recording")
            assert r.status_code == 404 and r.get_json()["error"]["code"] == "recording_pending"
            assert fake.requests == []  # nothing fetched inside a request
            run_worker(app, redis_url)
            gets = [q for q in fake.requests if q["method"] == "GET"]
            assert len(gets) == 1 and gets[0]["user"] == ACCOUNT_SID
            assert (
                gets[0]["path"]
                == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/RE0f1e2d3c4b5a69788796a5b4c3d2e1f0.wav"
            )
            r = api.as_("operator").get(f"/calls/{call['id']}/recording")
            assert r.status_code == 200 and r.mimetype == "audio/wav" and r.data == fake.recording
            assert r.data[:4] == b"RIFF"
            assert api.as_("dept_cgj").get(f"/calls/{call['id']}/recording").status_code == 403
            assert api.as_("operator").get("/calls/999999/recording").status_code == 404

            # the job again (a retry) fetches nothing more
            from hotline.tasks.calls import fetch_recording

            with app.app_context():
                assert fetch_recording(call["id"]) is False
            assert len([q for q in fake.requests if q["method"] == "GET"]) == 1
        finally:
            app.config.update(old)


def test_recording_urls_outside_twilio_are_refused(app):
    from integrations.twilio.client import TwilioClient

    with app.app_context():
        client = TwilioClient.from_config({**app.config, "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": "x"})
        for bad in (
            "https://evil.example.com/2010-04-01/Accounts/AC1/Recordings/RE1",
            "http://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
            "https://api.twilio.com/2010-04-01/Accounts/AC1/Calls/CA1",
        ):
            with pytest.raises(ValueError):
                client.fetch_recording(bad)


def test_call_log_by_day_masked_for_leaders(app, client, api):
    twilio = SignedWebhooks(client)
    old = twilio_mode(app)
    try:
        api.as_("operator").post("/operators/me/presence", {"status": "available"})
        sid = new_call_sid()
        twilio.post("/voice", payload("voice_incoming", CallSid=sid))
        twilio.post("/voice/menu", payload("voice_incoming", CallSid=sid, Digits="0"))
    finally:
        app.config.update(old)
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    log = api.as_("supervisor").get(f"/calls?date={today.isoformat()}").get_json()
    assert [c["call_sid"] for c in log] == [sid]
    assert log[0]["from"] == "+8613812345678" and log[0]["operator_name"] == "话务员小王"
    assert api.as_("supervisor").get(f"/calls?date={(today - dt.timedelta(days=1)).isoformat()}").get_json() == []
    assert api.as_("leader").get("/calls").get_json()[0]["from"] == "138****5678"
    r = api.as_("supervisor").get("/calls?date=2026-13-01")
    assert r.status_code == 422 and "date" in r.get_json()["error"]["fields"]


def test_ticket_from_a_call_is_linked_and_leaders_only_record_their_calls(app, client, api, ctx):
    twilio = SignedWebhooks(client)
    leader_id = db.session.scalar(select(User.id).where(User.username == "leader"))
    now = dt.datetime.now(dt.UTC)
    r = api.as_("supervisor").post(
        "/leader-slots",
        {
            "leader": "leader",
            "starts_at": (now - dt.timedelta(minutes=5)).isoformat(),
            "ends_at": (now + dt.timedelta(hours=1)).isoformat(),
        },
    )
    assert r.status_code == 201, r.get_json()
    old = twilio_mode(app)
    try:
        sid = new_call_sid()
        twilio.post("/voice", payload("voice_incoming", CallSid=sid))
        xml = twilio.post("/voice/menu", payload("voice_incoming", CallSid=sid, Digits="0")).data.decode()
        assert f"operator-{leader_id}</Client>" in xml  # 领导接听: the leader on duty first
    finally:
        app.config.update(old)
    call_id = db.session.scalar(select(Call.id).where(Call.call_sid == sid))
    body = new_ticket_body(content="领导接听：反映小区供暖不足，室温只有十二度。")
    assert api.as_("leader").post("/tickets", body).status_code == 403  # not outside a call
    r = api.as_("leader").post(f"/calls/{call_id}/tickets", body)
    assert r.status_code == 201, r.get_json()
    ticket = r.get_json()
    assert ticket["status"] == "accepted" and ticket["retrieval_code"]
    assert api.as_("operator").get(f"/calls/{call_id}").get_json()["ticket_id"] == ticket["id"]
    r = api.as_("operator").post(f"/calls/{call_id}/tickets", body)
    assert r.status_code == 409
    # another call, not routed to the leader: refused
    other = new_call_sid()
    old = twilio_mode(app)
    try:
        twilio.post("/voice", payload("voice_incoming", CallSid=other))
    finally:
        app.config.update(old)
    other_id = db.session.scalar(select(Call.id).where(Call.call_sid == other))
    assert api.as_("leader").post(f"/calls/{other_id}/tickets", body).status_code == 403
    r = api.as_("operator").post(f"/calls/{other_id}/tickets", {**body, "type": "nonsense"})
    assert r.status_code == 422 and "type" in r.get_json()["error"]["fields"]
    assert api.as_("operator").post(f"/calls/{other_id}/tickets", body).status_code == 201
    assert api.as_("dept_cgj").post(f"/calls/{other_id}/tickets", body).status_code == 403


@pytest.mark.parametrize(
    ("username", "path", "status"),
    [
        ("operator", "/agents/calls", 200),
        ("leader", "/agents/calls", 200),
        ("dept_cgj", "/agents/calls", 403),
        ("leader", "/agents/leader", 200),
        ("operator", "/agents/leader", 403),
        ("supervisor", "/agents/leader-slots", 200),
        ("operator", "/agents/leader-slots", 403),
        ("leader", "/agents/leader-slots", 403),
    ],
)
def test_phone_pages_by_role(app, username, path, status):
    client = app.test_client()
    login(client, username)
    assert client.get(path).status_code == status
