"""The softphone's controls on a live call with real Twilio request formats: hold and resume (保持/恢复) and warm
transfer (咨询转接) moving the caller's leg through Twilio's REST API (a local stand-in records every request), the
TwiML those moves lead to (signed webhooks), the softphone's outbound calls through the TwiML app's voice URL, and
the operator's own phone as the fallback when no softphone is there."""

from __future__ import annotations

import datetime as dt
from email.utils import format_datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import new_ticket_body
from tests.test_calls_page import run_worker
from tests.twilio_support import (
    ACCOUNT_SID,
    PUBLIC_URL,
    FakeTwilioApi,
    SignedWebhooks,
    new_call_sid,
    payload,
    twilio_config,
    twilio_mode,
)

CALLS = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls"
APP_SID = "AP" + "1" * 32


@pytest.fixture
def twilio(app, client):
    """Twilio mode, signed webhooks, the REST API on a local stand-in; yields (webhooks, stand-in)."""
    with FakeTwilioApi() as fake:
        old_config = twilio_config(app, fake.base)
        old = {**twilio_mode(app), **old_config}  # the earliest values win
        old["TWILIO_TWIML_APP_SID"] = app.config.get("TWILIO_TWIML_APP_SID")
        app.config["TWILIO_TWIML_APP_SID"] = APP_SID
        try:
            yield SignedWebhooks(client), fake
        finally:
            app.config.update(old)


def _user_id(api, username: str) -> int:
    return api.as_(username).get("/operators/me/presence").get_json()["user_id"]


def _answered_call(api, webhooks) -> tuple[int, str, int]:
    """A caller asks for a person, the operator's softphone answers: (call id, caller's CallSid, operator id)."""
    api.as_("operator").post("/operators/me/presence", {"status": "available"})
    sid = new_call_sid()
    webhooks.post("/voice", payload("voice_incoming", CallSid=sid))
    webhooks.post("/voice/menu", payload("voice_incoming", CallSid=sid, Digits="0"))
    operator_id = _user_id(api, "operator")
    now = format_datetime(dt.datetime.now(dt.UTC), usegmt=True)
    leg = payload(
        "dial_leg_status", ParentCallSid=sid, CallSid=new_call_sid(), To=f"client:operator-{operator_id}", Timestamp=now
    )
    webhooks.post("/voice/status", leg)
    call = api.as_("operator").get("/calls").get_json()[0]
    assert call["call_sid"] == sid and call["answered_at"] and not call["held"]
    return call["id"], sid, operator_id


def _leg_ends(webhooks, sid: str, user_id: int) -> None:
    done = payload(
        "dial_leg_status",
        ParentCallSid=sid,
        CallSid=new_call_sid(),
        CallStatus="completed",
        To=f"client:operator-{user_id}",
    )
    webhooks.post("/voice/status", done)


def _posts(fake, suffix: str) -> list[dict]:
    return [q for q in fake.requests if q["method"] == "POST" and q["path"].endswith(suffix)]


def test_hold_plays_music_in_a_conference_and_resume_dials_the_operator_again(app, api, redis_url, twilio):
    webhooks, fake = twilio
    call_id, sid, operator_id = _answered_call(api, webhooks)
    assert api.as_("supervisor").post(f"/calls/{call_id}/hold").status_code == 409  # not their call
    assert api.as_("operator").post(f"/calls/{call_id}/resume").status_code == 409  # not on hold
    r = api.as_("operator").post(f"/calls/{call_id}/hold")
    assert r.status_code == 202 and r.get_json()["held"] is True
    assert api.as_("operator").post(f"/calls/{call_id}/hold").status_code == 409
    assert fake.requests == []  # the request never waits on Twilio
    run_worker(app, redis_url)
    [redirect] = _posts(fake, f"/Calls/{sid}.json")
    assert redirect["user"] == ACCOUNT_SID
    assert redirect["form"]["Url"] == f"{PUBLIC_URL}/integrations/twilio/voice/conference?call={call_id}&hold=1"
    # the redirect ends the operator's leg: the call goes on, the operator stays busy with it
    _leg_ends(webhooks, sid, operator_id)
    call = api.as_("operator").get(f"/calls/{call_id}").get_json()
    assert call["ended_at"] is None and call["held"] is True
    assert api.as_("operator").get("/operators/me/presence").get_json()["status"] == "busy"
    # the TwiML the caller's leg fetches: alone in a conference of its own, with our hold music
    path = urlsplit(redirect["form"]["Url"])
    xml = webhooks.post(f"{path.path}?{path.query}", payload("voice_incoming", CallSid=sid)).data.decode()
    assert f">hold-{call_id}</Conference>" in xml
    assert 'startConferenceOnEnter="false"' in xml and 'endConferenceOnExit="true"' in xml
    assert f'waitUrl="{PUBLIC_URL}/agents/static/sounds/hold.wav"' in xml
    unsigned = webhooks.post(f"{path.path}?{path.query}", payload("voice_incoming", CallSid=sid), signature="x")
    assert unsigned.status_code == 403

    r = api.as_("operator").post(f"/calls/{call_id}/resume")
    assert r.status_code == 202 and r.get_json()["held"] is False
    run_worker(app, redis_url)
    second = _posts(fake, f"/Calls/{sid}.json")[1]
    assert second["form"]["Url"] == f"{PUBLIC_URL}/integrations/twilio/voice/resume?call={call_id}"
    xml = webhooks.post(f"/voice/resume?call={call_id}", payload("voice_incoming", CallSid=sid)).data.decode()
    assert f"operator-{operator_id}</Client>" in xml and "/voice/dial-done" in xml
    # off hold, the operator's leg ending is the end of the call again
    _leg_ends(webhooks, sid, operator_id)
    call = api.as_("operator").get(f"/calls/{call_id}").get_json()
    assert call["ended_at"] is not None and call["outcome"] == "answered"
    assert api.as_("operator").get("/operators/me/presence").get_json()["status"] == "available"


def test_warm_transfer_to_a_supervisor_conference_then_leave_them_the_caller(app, api, redis_url, twilio):
    webhooks, fake = twilio
    call_id, sid, operator_id = _answered_call(api, webhooks)
    ticket = api.as_("operator").post(f"/calls/{call_id}/tickets", new_ticket_body()).get_json()
    assert api.as_("operator").post(f"/calls/{call_id}/consult", {"supervisor": True}).status_code == 409  # none free
    api.as_("supervisor").post("/operators/me/presence", {"status": "available"})
    supervisor_id = _user_id(api, "supervisor")
    r = api.as_("operator").post(f"/calls/{call_id}/consult", {"supervisor": True})
    assert r.status_code == 202 and r.get_json()["consult_target"] == f"user:{supervisor_id}"
    assert api.as_("supervisor").get("/operators/me/presence").get_json()["status"] == "busy"
    assert api.as_("operator").post(f"/calls/{call_id}/hold").status_code == 409
    assert api.as_("operator").post(f"/calls/{call_id}/transfer", {"supervisor": True}).status_code == 409
    run_worker(app, redis_url)
    [redirect] = _posts(fake, f"/Calls/{sid}.json")
    assert redirect["form"]["Url"] == f"{PUBLIC_URL}/integrations/twilio/voice/conference?call={call_id}"
    # the supervisor's softphone is called into the call's conference (created by its name)
    [added] = _posts(fake, f"/Conferences/call-{call_id}/Participants.json")
    assert added["form"]["To"] == f"client:operator-{supervisor_id}" and added["form"]["Label"] == "consult"
    assert added["form"]["StartConferenceOnEnter"] == "true" and added["form"]["EndConferenceOnExit"] == "false"
    assert added["form"]["From"] == "+8656312345"
    _leg_ends(webhooks, sid, operator_id)  # the redirect ended the operator's first leg
    assert api.as_("operator").get(f"/calls/{call_id}").get_json()["ended_at"] is None
    xml = webhooks.post(f"/voice/conference?call={call_id}", payload("voice_incoming", CallSid=sid)).data.decode()
    assert f">call-{call_id}</Conference>" in xml and 'participantLabel="caller"' in xml
    # the operator's softphone joins the conference through the TwiML app
    join = payload("client_outgoing", CallSid=new_call_sid(), From=f"client:operator-{operator_id}")
    join["To"] = f"conference:call-{call_id}"
    xml = webhooks.post("/voice/outgoing", join).data.decode()
    assert f">call-{call_id}</Conference>" in xml and 'participantLabel="operator"' in xml
    assert 'endConferenceOnExit="false"' in xml
    other = {**join, "From": f"client:operator-{supervisor_id}"}
    assert webhooks.post("/voice/outgoing", other).status_code == 403  # not their call to join

    r = api.as_("operator").post(f"/calls/{call_id}/consult/complete")
    assert r.status_code == 202
    call = r.get_json()
    assert call["operator_id"] == supervisor_id and call["consult_target"] is None
    assert (call["transfer_kind"], call["transferred_to"]) == ("warm", f"user:{supervisor_id}")
    assert api.as_("operator").get("/operators/me/presence").get_json()["status"] == "available"
    assert api.as_("supervisor").get("/operators/me/presence").get_json()["status"] == "busy"
    run_worker(app, redis_url)
    listed = [q for q in fake.requests if q["method"] == "GET" and "/Conferences.json" in q["path"]]
    query = parse_qs(urlsplit(listed[0]["path"]).query)
    assert query["FriendlyName"] == [f"call-{call_id}"] and query["Status"] == ["in-progress"]
    [update] = _posts(fake, f"/Conferences/{fake.conference_sid}/Participants/consult.json")
    assert update["form"] == {"EndConferenceOnExit": "true"}
    timeline = api.as_("operator").get(f"/tickets/{ticket['id']}").get_json()["timeline"]
    transfer = [e for e in timeline if e["action"] == "call-transfer"]
    assert len(transfer) == 1 and transfer[0]["actor"] == "operator"
    assert transfer[0]["note"].startswith("咨询后转接给")
    # the caller hangs up: the call ends with the supervisor, who is free again
    webhooks.post("/voice/status", payload("call_status", CallSid=sid))
    assert api.as_("supervisor").get("/operators/me/presence").get_json()["status"] == "available"


def test_warm_transfer_to_a_department_then_take_the_caller_back(app, api, redis_url, twilio):
    webhooks, fake = twilio
    call_id, sid, operator_id = _answered_call(api, webhooks)
    r = api.as_("operator").post(f"/calls/{call_id}/consult", {"department": "NOPE"})
    assert r.status_code == 422 and "department" in r.get_json()["error"]["fields"]
    assert api.as_("operator").post(f"/calls/{call_id}/consult/complete").status_code == 409  # none in progress
    r = api.as_("operator").post(f"/calls/{call_id}/consult", {"department": "XC-CGJ"})
    assert r.status_code == 202 and r.get_json()["consult_target"] == "department:XC-CGJ"
    assert api.as_("operator").post(f"/calls/{call_id}/consult", {"supervisor": True}).status_code == 409
    run_worker(app, redis_url)
    [added] = _posts(fake, f"/Conferences/call-{call_id}/Participants.json")
    assert added["form"]["To"] == "+8613900000001"  # the department's hotline number

    r = api.as_("operator").post(f"/calls/{call_id}/consult/cancel")
    assert r.status_code == 202 and r.get_json()["consult_target"] is None
    assert r.get_json()["operator_id"] == operator_id and r.get_json()["transfer_kind"] is None
    assert api.as_("operator").get("/operators/me/presence").get_json()["status"] == "busy"
    run_worker(app, redis_url)
    deleted = [q for q in fake.requests if q["method"] == "DELETE"]
    assert [q["path"] for q in deleted] == [
        f"/2010-04-01/Accounts/{ACCOUNT_SID}/Conferences/{fake.conference_sid}/Participants/consult.json"
    ]
    [update] = _posts(fake, f"/Conferences/{fake.conference_sid}/Participants/operator.json")
    assert update["form"] == {"EndConferenceOnExit": "true"}  # the operator hanging up now ends the call
    webhooks.post("/voice/status", payload("call_status", CallSid=sid))
    assert api.as_("operator").get("/operators/me/presence").get_json()["status"] == "available"


def test_blind_transfer_is_recorded_on_the_call_and_the_ticket(app, api, redis_url, twilio):
    webhooks, _fake = twilio
    call_id, _sid, _operator_id = _answered_call(api, webhooks)
    ticket = api.as_("operator").post(f"/calls/{call_id}/tickets", new_ticket_body()).get_json()
    r = api.as_("operator").post(f"/calls/{call_id}/transfer", {"department": "XC-CGJ"})
    assert r.status_code == 202
    assert (r.get_json()["transfer_kind"], r.get_json()["transferred_to"]) == ("blind", "department:XC-CGJ")
    [event] = [
        e
        for e in api.as_("operator").get(f"/tickets/{ticket['id']}").get_json()["timeline"]
        if e["action"] == "call-transfer"
    ]
    assert "XC-CGJ" in event["note"]


def test_softphone_calls_out_through_the_twiml_app_and_records_the_call_back(app, api, redis_url, twilio):
    webhooks, fake = twilio
    # a missed call to call back
    missed = new_call_sid()
    webhooks.post("/voice", payload("voice_incoming", CallSid=missed, From="+8613900002222"))
    webhooks.post("/voice/menu", payload("voice_incoming", CallSid=missed, Digits="0"))
    webhooks.post("/voice/queue-exit", payload("enqueue_action", CallSid=missed, QueueResult="hangup"))
    webhooks.post("/voice/status", payload("call_status", CallSid=missed, From="+8613900002222"))
    [back] = api.as_("operator").get("/calls?callback=1").get_json()
    operator_id = _user_id(api, "operator")
    out_sid = new_call_sid()
    form = payload("client_outgoing", CallSid=out_sid, From=f"client:operator-{operator_id}", To="13900002222")
    form["callback_of"] = str(back["id"])

    assert webhooks.post("/voice/outgoing", form, signature="bad").status_code == 403
    dept_id = _user_id_of(app, "dept_cgj")
    assert webhooks.post("/voice/outgoing", {**form, "From": f"client:operator-{dept_id}"}).status_code == 403
    assert webhooks.post("/voice/outgoing", {**form, "From": "+8613900002222"}).status_code == 403
    assert webhooks.post("/voice/outgoing", {**form, "ApplicationSid": "AP" + "2" * 32}).status_code == 400
    r = webhooks.post("/voice/outgoing", {**form, "To": "12345678"})
    assert r.status_code == 400 and r.get_json()["error"]["fields"] == {"To": "not a valid phone number"}

    xml = webhooks.post("/voice/outgoing", form).data.decode()
    assert 'callerId="+8656312345"' in xml and "<Number>+8613900002222</Number>" in xml
    assert f'action="{PUBLIC_URL}/integrations/twilio/voice/outgoing-done"' in xml
    assert webhooks.post("/voice/outgoing", form).status_code == 200  # a retried webhook: still one record
    outbound = [c for c in api.as_("operator").get("/calls").get_json() if c["call_sid"] == out_sid]
    assert len(outbound) == 1 and outbound[0]["direction"] == "outbound"
    assert outbound[0]["callback_of_id"] == back["id"] and outbound[0]["operator_id"] == operator_id
    assert outbound[0]["to"] == "+8613900002222"

    done = payload("dial_action", CallSid=out_sid, DialCallStatus="completed", DialCallDuration="42")
    assert "<Hangup" in webhooks.post("/voice/outgoing-done", done).data.decode()
    call = api.as_("operator").get(f"/calls/{outbound[0]['id']}").get_json()
    assert call["outcome"] == "answered" and call["talk_seconds"] == 42
    assert api.as_("operator").get(f"/calls/{back['id']}").get_json()["called_back_at"] is not None
    assert api.as_("operator").get("/calls?callback=1").get_json() == []
    assert fake.requests == []  # the softphone's own call: no REST request at all

    # an unanswered call-back is recorded as such and leaves the missed call on the list
    other = new_call_sid()
    webhooks.post("/voice/outgoing", {**form, "CallSid": other, "callback_of": ""})
    webhooks.post("/voice/outgoing-done", payload("dial_action", CallSid=other, DialCallStatus="no-answer"))
    call = [c for c in api.as_("operator").get("/calls").get_json() if c["call_sid"] == other][0]
    assert call["outcome"] == "no_answer" and call["callback_of_id"] is None


def _user_id_of(app, username: str) -> int:
    from sqlalchemy import select

    from hotline.extensions import db
    from hotline.models import User

    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == username))


def test_an_operator_without_a_softphone_is_dialled_on_the_phone_admins_set(app, api, client, redis_url, twilio):
    """The TwiML that rings an operator dials their own phone (set by admins) when no console is open, and the
    softphone when one is."""
    from hotline import presence

    webhooks, _fake = twilio
    admin = api.as_("admin")
    r = admin.client.patch("/api/v1/users/operator", json={"phone": "13955550001"}, headers=admin._headers())
    assert r.status_code == 200, r.get_json()
    api.as_("operator").post("/operators/me/presence", {"status": "available"})
    operator_id = _user_id(api, "operator")
    sid = new_call_sid()
    webhooks.post("/voice", payload("voice_incoming", CallSid=sid))
    xml = webhooks.post("/voice/menu", payload("voice_incoming", CallSid=sid, Digits="0")).data.decode()
    assert "+8613955550001</Number>" in xml and "<Client" not in xml
    webhooks.post("/voice/status", payload("call_status", CallSid=sid))

    with app.app_context():
        presence.connected(operator_id, "socket-1")
    try:
        api.as_("operator").post("/operators/me/presence", {"status": "available"})
        sid = new_call_sid()
        webhooks.post("/voice", payload("voice_incoming", CallSid=sid))
        xml = webhooks.post("/voice/menu", payload("voice_incoming", CallSid=sid, Digits="0")).data.decode()
        assert f"operator-{operator_id}</Client>" in xml and "<Number" not in xml
    finally:
        with app.app_context():
            presence.disconnected(operator_id, "socket-1")


def test_console_softphone_calls_out_and_records_the_result(app, api):
    """The console provider's softphone: POST /calls/outgoing records the call, Answer (the citizen picks up) and
    Hang up end it as the Dial's action would; only staff, only valid numbers, only the caller's own call."""
    assert app.config["TELEPHONY"] == "console"
    assert api.as_("dept_cgj").post("/calls/outgoing", {"to": "13900006666"}).status_code == 403
    r = api.as_("operator").post("/calls/outgoing", {"to": "1390000"})
    assert r.status_code == 422 and r.get_json()["error"]["fields"] == {"to": "not a valid phone number"}
    r = api.as_("operator").post("/calls/outgoing", {"to": "139 0000 6666"})
    assert r.status_code == 201, r.get_json()
    call = r.get_json()
    assert (call["direction"], call["to"], call["outcome"]) == ("outbound", "+8613900006666", None)
    assert api.as_("supervisor").post(f"/calls/{call['id']}/console/answer").status_code == 404  # not theirs
    assert api.as_("operator").post(f"/calls/{call['id']}/console/answer").status_code == 200
    r = api.as_("operator").post(f"/calls/{call['id']}/console/hang-up")
    assert r.status_code == 200 and r.get_json()["outcome"] == "answered"
    assert api.as_("operator").post(f"/calls/{call['id']}/console/hang-up").status_code == 409  # ended

    old = app.config["TELEPHONY"]
    app.config["TELEPHONY"] = "twilio"
    try:  # with Twilio the softphone itself calls out (device.connect → /voice/outgoing)
        assert api.as_("operator").post("/calls/outgoing", {"to": "13900006666"}).status_code == 409
    finally:
        app.config["TELEPHONY"] = old
