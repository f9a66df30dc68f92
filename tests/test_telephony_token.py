"""The browser softphone's access token: a Twilio Access Token (JWT, HS256 signed with the API secret) whose
Voice grant lets the console receive calls for its identity and place them through the TwiML app."""

from __future__ import annotations

import time

import jwt

SETTINGS = {
    "TWILIO_ACCOUNT_SID": "AC" + "0123456789abcdef" * 2,
    "TWILIO_API_KEY": "SK" + "fedcba9876543210" * 2,
    "TWILIO_API_SECRET": "api-secret-for-the-test-0123456789abcdef",
    "TWILIO_TWIML_APP_SID": "AP" + "00112233445566778899aabbccddeeff",
}


def test_token_carries_a_voice_grant_for_the_users_identity(app, api):
    old = {k: app.config.get(k) for k in SETTINGS}
    app.config.update(SETTINGS)
    try:
        r = api.as_("operator").get("/telephony/token")
        assert r.status_code == 200, r.get_json()
        body = r.get_json()
        operator_id = api.as_("operator").get("/operators/me/presence").get_json()["user_id"]
        assert body["identity"] == f"operator-{operator_id}"
        claims = jwt.decode(body["token"], SETTINGS["TWILIO_API_SECRET"], algorithms=["HS256"])
        header = jwt.get_unverified_header(body["token"])
        assert header["cty"] == "twilio-fpa;v=1"
        assert claims["iss"] == SETTINGS["TWILIO_API_KEY"] and claims["sub"] == SETTINGS["TWILIO_ACCOUNT_SID"]
        assert claims["grants"]["identity"] == body["identity"]
        voice = claims["grants"]["voice"]
        assert voice["incoming"] == {"allow": True}
        assert voice["outgoing"]["application_sid"] == SETTINGS["TWILIO_TWIML_APP_SID"]
        assert 3500 <= claims["exp"] - time.time() <= 3600
        # signed with the secret: another key does not verify it
        try:
            jwt.decode(body["token"], "another-secret-0123456789abcdef0123456789", algorithms=["HS256"])
            raise AssertionError("a token verified with the wrong secret")
        except jwt.InvalidSignatureError:
            pass
        # leaders answer too; departments and the public do not get a token
        leader = api.as_("leader").get("/telephony/token").get_json()
        assert leader["identity"] != body["identity"]
        assert api.as_("dept_cgj").get("/telephony/token").status_code == 403
        assert api.get("/telephony/token").status_code == 401
    finally:
        app.config.update(old)


def test_token_without_settings_names_what_is_missing(app, api):
    old = {k: app.config.get(k) for k in SETTINGS}
    app.config.update({**SETTINGS, "TWILIO_API_SECRET": "", "TWILIO_TWIML_APP_SID": ""})
    try:
        r = api.as_("operator").get("/telephony/token")
        assert r.status_code == 409
        error = r.get_json()["error"]
        assert error["code"] == "telephony_not_configured"
        assert set(error["fields"]) == {"TWILIO_API_SECRET", "TWILIO_TWIML_APP_SID"}
        assert "TWILIO_API_SECRET" in error["message"]
    finally:
        app.config.update(old)


def test_console_softphone_answers_only_its_own_ringing_call(app, client, api):
    from tests.twilio_support import AUTH_TOKEN, PUBLIC_URL, SignedWebhooks, new_call_sid, payload

    twilio = SignedWebhooks(client)
    api.as_("operator").post("/operators/me/presence", {"status": "available"})
    sid = new_call_sid()
    # The console provider checks Twilio's signature too (issue 14): sign as Twilio would.
    old = {k: app.config.get(k) for k in ("TWILIO_AUTH_TOKEN", "PUBLIC_URL")}
    app.config.update(TWILIO_AUTH_TOKEN=AUTH_TOKEN, PUBLIC_URL=PUBLIC_URL)
    try:
        assert twilio.post("/voice", payload("voice_incoming", CallSid=sid)).status_code == 200
        assert twilio.post("/voice/menu", payload("voice_incoming", CallSid=sid, Digits="0")).status_code == 200
    finally:
        app.config.update(old)
    call = api.as_("operator").get("/calls").get_json()[0]
    assert call["call_sid"] == sid and call["answered_at"] is None
    assert api.as_("supervisor").post(f"/calls/{call['id']}/console/answer").status_code == 409
    r = api.as_("operator").post(f"/calls/{call['id']}/console/answer")
    assert r.status_code == 200 and r.get_json()["answered_at"] and r.get_json()["ended_at"] is None
    assert api.as_("operator").get("/operators/me/presence").get_json()["status"] == "busy"
    r = api.as_("operator").post(f"/calls/{call['id']}/console/hang-up")
    assert r.status_code == 200 and r.get_json()["outcome"] == "answered" and r.get_json()["ended_at"]
    assert api.as_("operator").get("/operators/me/presence").get_json()["status"] == "available"
    assert api.as_("operator").post("/calls/999999/console/answer").status_code == 404
    old = app.config["TELEPHONY"]
    app.config["TELEPHONY"] = "twilio"
    try:  # with Twilio the SDK answers: the console route refuses
        assert api.as_("operator").post(f"/calls/{call['id']}/console/answer").status_code == 409
    finally:
        app.config["TELEPHONY"] = old
