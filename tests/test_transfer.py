"""转接: an operator hands a call in progress to a department's hotline number or to an available supervisor; a
worker redirects the caller's leg through Twilio's REST API (a local stand-in), and the transfer TwiML dials them."""

from __future__ import annotations

from email.utils import format_datetime

from tests.test_calls_page import run_worker
from tests.twilio_support import (
    ACCOUNT_SID,
    FakeTwilioApi,
    SignedWebhooks,
    new_call_sid,
    payload,
    twilio_config,
    twilio_mode,
)


def _answered_call(app, api, twilio) -> tuple[int, str]:
    import datetime as dt

    api.as_("operator").post("/operators/me/presence", {"status": "available"})
    sid = new_call_sid()
    twilio.post("/voice", payload("voice_incoming", CallSid=sid))
    twilio.post("/voice/menu", payload("voice_incoming", CallSid=sid, Digits="0"))
    operator_id = api.as_("operator").get("/operators/me/presence").get_json()["user_id"]
    now = format_datetime(dt.datetime.now(dt.UTC), usegmt=True)
    leg = payload(
        "dial_leg_status", ParentCallSid=sid, CallSid=new_call_sid(), To=f"client:operator-{operator_id}", Timestamp=now
    )
    twilio.post("/voice/status", leg)
    call = api.as_("operator").get("/calls").get_json()[0]
    assert call["call_sid"] == sid and call["answered_at"]
    return call["id"], sid


def test_transfer_to_a_department_redirects_the_caller_through_the_rest_api(app, client, api, redis_url):
    twilio = SignedWebhooks(client)
    with FakeTwilioApi() as fake:
        old_config = twilio_config(app, fake.base)
        old = {**twilio_mode(app), **old_config}
        try:
            call_id, sid = _answered_call(app, api, twilio)
            assert api.as_("supervisor").post(f"/calls/{call_id}/transfer", {"department": "XC-CGJ"}).status_code == 409
            r = api.as_("operator").post(f"/calls/{call_id}/transfer", {"department": "NOPE"})
            assert r.status_code == 422 and "department" in r.get_json()["error"]["fields"]
            assert api.as_("operator").post(f"/calls/{call_id}/transfer", {}).status_code == 422
            r = api.as_("operator").post(f"/calls/{call_id}/transfer", {"department": "XC-CGJ"})
            assert r.status_code == 202, r.get_json()
            assert api.as_("operator").get("/operators/me/presence").get_json()["status"] == "available"
            assert fake.requests == []  # the request itself does not call Twilio
            run_worker(app, redis_url)
            redirects = [
                q for q in fake.requests if q["path"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{sid}.json"
            ]
            assert len(redirects) == 1
            url = redirects[0]["form"]["Url"]
            assert url == "https://hotline.example.gov.cn/integrations/twilio/voice/transfer?department=XC-CGJ"
            xml = twilio.post("/voice/transfer?department=XC-CGJ", payload("voice_incoming", CallSid=sid)).data.decode()
            assert "<Number" in xml and "+8613900000001</Number>" in xml
        finally:
            app.config.update(old)


def test_transfer_to_a_supervisor_rings_their_console(app, client, api, redis_url):
    twilio = SignedWebhooks(client)
    with FakeTwilioApi() as fake:
        old_config = twilio_config(app, fake.base)
        old = {**twilio_mode(app), **old_config}
        try:
            call_id, sid = _answered_call(app, api, twilio)
            r = api.as_("operator").post(f"/calls/{call_id}/transfer", {"supervisor": True})
            assert r.status_code == 409  # no supervisor is available
            api.as_("supervisor").post("/operators/me/presence", {"status": "available"})
            supervisor_id = api.as_("supervisor").get("/operators/me/presence").get_json()["user_id"]
            r = api.as_("operator").post(f"/calls/{call_id}/transfer", {"supervisor": True})
            assert r.status_code == 202 and r.get_json()["operator_id"] == supervisor_id
            assert api.as_("supervisor").get("/operators/me/presence").get_json()["status"] == "busy"
            assert api.as_("operator").get("/operators/me/presence").get_json()["status"] == "available"
            run_worker(app, redis_url)
            redirect = [q for q in fake.requests if q["path"].endswith(f"/Calls/{sid}.json")][0]
            assert redirect["form"]["Url"].endswith(f"/voice/transfer?user={supervisor_id}")
            xml = twilio.post(
                f"/voice/transfer?user={supervisor_id}", payload("voice_incoming", CallSid=sid)
            ).data.decode()
            assert f"operator-{supervisor_id}</Client>" in xml
            # the first operator's leg ends with the redirect: the call goes on with the supervisor
            operator_id = api.as_("operator").get("/operators/me/presence").get_json()["user_id"]
            done = payload(
                "dial_leg_status",
                ParentCallSid=sid,
                CallSid=new_call_sid(),
                CallStatus="completed",
                To=f"client:operator-{operator_id}",
            )
            twilio.post("/voice/status", done)
            call = api.as_("supervisor").get(f"/calls/{call_id}").get_json()
            assert call["ended_at"] is None and call["operator_id"] == supervisor_id
            assert api.as_("supervisor").get("/operators/me/presence").get_json()["status"] == "busy"
        finally:
            app.config.update(old)
