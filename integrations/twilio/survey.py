"""The callback survey's webhooks (回访 IVR): `POST /survey/<callback id>` answers TwiML that asks the two
questions in Mandarin and records the digits; `POST /survey/<callback id>/status` takes the call's status
callback (no answer, busy, failed -> the next attempt). Both are idempotent: a retried request changes
nothing. `handle_survey_sms` is for the SMS webhook (reply codes and TD)."""

from __future__ import annotations

from flask import Response, request
from flask_babel import force_locale
from flask_babel import gettext as _
from twilio.twiml.voice_response import VoiceResponse

from hotline.actions import callbacks, surveys
from hotline.actions.surveys import handle_survey_sms
from integrations.twilio.blueprint import bp
from integrations.twilio.signature import public_url, twilio_webhook

LANGUAGE = "zh-CN"
DIGITS = ("1", "2", "3")

__all__ = ["handle_survey_sms"]


def _twiml(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="text/xml")


def _ask(response: VoiceResponse, callback_id: int, question: str, text: str, resolved: str | None = None) -> None:
    query = f"?q={question}" + (f"&resolved={resolved}" if resolved else "")
    gather = response.gather(
        num_digits=1,
        timeout=8,
        method="POST",
        action=public_url(f"/integrations/twilio/survey/{callback_id}{query}"),
    )
    gather.say(text, language=LANGUAGE)
    response.say(_("We did not receive your answer. Goodbye."), language=LANGUAGE)
    response.hangup()


def _resolved_question() -> str:
    return _("Was your issue resolved? Press 1 for resolved, 2 for partly resolved, 3 for not resolved.")


def _satisfaction_question() -> str:
    return _(
        "How satisfied are you with the handling? Press 1 for satisfied, 2 for basically satisfied, 3 for dissatisfied."
    )


def _thanks(response: VoiceResponse) -> None:
    response.say(_("Thank you for your feedback. Goodbye."), language=LANGUAGE)
    response.hangup()


@bp.post("/survey/<int:callback_id>")
@twilio_webhook
def survey(callback_id: int):
    question = request.args.get("q", "")
    resolved = request.args.get("resolved", "")
    digits = (request.form.get("Digits") or "").strip()
    response = VoiceResponse()
    with force_locale("zh_Hans_CN"):
        if not callbacks.survey_open(callback_id):
            _thanks(response)
        elif question == "satisfaction" and resolved in DIGITS and digits in DIGITS:
            surveys.record_answers(
                callback_id, int(resolved), int(digits), "call", callbacks.IVR, call_sid=request.form.get("CallSid")
            )
            _thanks(response)
        elif question == "satisfaction" and resolved in DIGITS:
            _ask(response, callback_id, "satisfaction", _satisfaction_question(), resolved)
        elif question == "resolved" and digits in DIGITS:
            _ask(response, callback_id, "satisfaction", _satisfaction_question(), digits)
        else:
            intro = _("Hello, this is the 12345 hotline calling back about your request.")
            _ask(response, callback_id, "resolved", f"{intro} {_resolved_question()}")
    return _twiml(response)


@bp.post("/survey/<int:callback_id>/status")
@twilio_webhook
def survey_status(callback_id: int):
    callbacks.call_outcome(callback_id, request.form.get("CallSid"), request.form.get("CallStatus", ""))
    return _twiml(VoiceResponse())
