"""Twilio's webhooks (CONTRACT.md): parse the form, check the signature, call one action, answer TwiML.

Every request is signed (X-Twilio-Signature over HOTLINE_PUBLIC_URL + path + query and the form) unless the
console provider is configured; bad parameters are a 400 naming the field, never a 500."""

from __future__ import annotations

import datetime as dt
import re
from email.utils import parsedate_to_datetime

from flask import Response, current_app, request
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from hotline.actions import calls as call_actions
from hotline.actions import sms_intake, voice_messages
from hotline.actions.surveys import handle_survey_sms
from hotline.errors import DomainError
from hotline.extensions import db
from hotline.models import HotlineLine
from integrations.twilio import twiml
from integrations.twilio.blueprint import bp
from integrations.twilio.signature import check_signature

CALL_SID = re.compile(r"^CA[0-9a-f]{32}$")
MESSAGE_SID = re.compile(r"^(SM|MM)[0-9a-f]{32}$")
ADDRESS = re.compile(r"^[0-9A-Za-z+:._@-]{1,64}$")  # +8613812345678, 12315, client:operator-3, anonymous
DIGITS = re.compile(r"^[0-9*#]{0,32}$")


class BadParameter(DomainError):
    status = 400
    code = "bad_parameter"


@bp.before_request
def _signature_first() -> None:
    """Every route of the blueprint (ours and the survey's) checks the signature before parsing anything."""
    check_signature()


def param(name: str, pattern: re.Pattern | None = None, required: bool = False, max_len: int = 1600) -> str | None:
    """A form (or query) parameter, checked; a 400 naming it when it is malformed or missing."""
    value = request.form.get(name)
    if value is None:
        value = request.args.get(name)
    if value is None or value == "":
        if required:
            raise BadParameter(f"{name} is required", fields={name: "required"})
        return None
    if len(value) > max_len or (pattern is not None and not pattern.match(value)):
        raise BadParameter(f"{name} is malformed", fields={name: "malformed"})
    return value


def int_param(name: str, default: int = 0) -> int:
    value = param(name, re.compile(r"^\d{1,9}$"))
    return int(value) if value is not None else default


def timestamp_param() -> dt.datetime | None:
    value = param("Timestamp", max_len=64)
    if value is None:
        return None
    try:
        at = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        raise BadParameter("Timestamp is malformed", fields={"Timestamp": "malformed"}) from None
    if at.tzinfo is None:
        raise BadParameter("Timestamp has no time zone", fields={"Timestamp": "malformed"})
    return at.astimezone(dt.UTC)


def call_sid() -> str:
    return param("CallSid", CALL_SID, required=True)  # type: ignore[return-value]


def xml(response) -> Response:
    return Response(str(response), mimetype="text/xml")


def zh(build, *args, **kwargs) -> Response:
    """The IVR speaks Mandarin whatever the requester's language."""
    with force_locale("zh_Hans_CN"):
        return xml(build(*args, **kwargs))


SPOKEN_CHOICES = (
    ("1", ("反映", "咨询", "投诉", "举报", "求助", "建议", "一")),
    ("2", ("查询", "进度", "二")),
    ("0", ("人工", "话务员", "零")),
)


def menu_choice() -> str | None:
    digits = param("Digits", DIGITS)
    if digits:
        return digits[:1]
    speech = param("SpeechResult", max_len=500) or ""
    for choice, words in SPOKEN_CHOICES:
        if any(w in speech for w in words):
            return choice
    return None


# ---- voice ----------------------------------------------------------------------------------


@bp.post("/voice")
def voice():
    sid = call_sid()
    from_number = param("From", ADDRESS, required=True)
    to_number = param("To", ADDRESS, required=True)
    line = call_actions.incoming_call(sid, from_number or "", to_number or "")
    return greeting(line)


def greeting(line: str | None) -> Response:
    """The greeting is the same for every call on a line: rendered once per line and public URL."""
    cache = current_app.extensions.setdefault("twilio_greetings", {})
    key = (line, current_app.config["PUBLIC_URL"])
    if key not in cache:
        line_name = None
        if line and line != "12345":
            line_name = db.session.scalar(select(HotlineLine.name).where(HotlineLine.number == line))
        with force_locale("zh_Hans_CN"):
            cache[key] = str(twiml.greeting(line_name))
    return Response(cache[key], mimetype="text/xml")


@bp.post("/voice/menu")
def voice_menu():
    sid = call_sid()
    choice = menu_choice()
    tries = int_param("tries")
    if choice in ("1", "0"):
        call_actions.record_menu_choice(sid, choice)
        return zh(twiml.route, call_actions.route_call(sid))
    if choice == "2":
        call_actions.record_menu_choice(sid, choice)
        return zh(twiml.ask_ticket_number)
    if tries >= 2:  # two wrong keys: a person helps
        return zh(twiml.route, call_actions.route_call(sid))
    return zh(twiml.menu_again, tries + 1)


@bp.post("/voice/status-check")
def voice_status_check():
    sid = call_sid()
    number = param("number", re.compile(r"^[A-Za-z]{0,4}\d{6,20}$"))
    digits = param("Digits", DIGITS) or ""
    if number is None:  # first step: the ticket number's digits
        if not re.fullmatch(r"\d{6,20}", digits):
            return zh(twiml.ask_ticket_number, True)
        return zh(twiml.ask_retrieval_code, current_app.config["TICKET_PREFIX"] + digits)
    result, again = voice_messages.status_check(sid, number.upper(), digits)
    return zh(twiml.status_result, number.upper(), result, again)


@bp.post("/voice/queue-wait")
def voice_queue_wait():
    decision = call_actions.queue_wait(call_sid(), int_param("QueueTime"))
    if decision.kind == "leave":
        return zh(twiml.route, decision)
    return zh(twiml.hold, decision.position)


@bp.post("/voice/queue-exit")
def voice_queue_exit():
    sid = call_sid()
    result = param("QueueResult", re.compile(r"^[a-z-]{1,32}$")) or "leave"
    return zh(twiml.route, call_actions.left_queue(sid, result, int_param("QueueTime")))


@bp.post("/voice/dial-done")
def voice_dial_done():
    sid = call_sid()
    status = param("DialCallStatus", re.compile(r"^[a-z-]{1,32}$"), required=True) or ""
    leader = param("leader", re.compile(r"^[01]$")) == "1"
    return zh(twiml.route, call_actions.dial_finished(sid, status, leader))


@bp.post("/voice/voicemail")
def voice_voicemail():
    sid = call_sid()
    recording = param("RecordingUrl", re.compile(r"^https?://\S{1,490}$"))
    transcript = param("TranscriptionText", max_len=4000)
    if recording is None and not transcript:
        return zh(twiml.no_message)
    _call, ticket, code = voice_messages.voice_message(sid, recording, transcript)
    return zh(twiml.voicemail_done, ticket.number, code)


@bp.post("/voice/status")
def voice_status():
    sid = call_sid()
    status = param("CallStatus", re.compile(r"^[a-z-]{1,32}$"), required=True) or ""
    if status not in call_actions.CALL_STATUS_RANK:
        raise BadParameter("CallStatus is not a call status", fields={"CallStatus": "unknown status"})
    callback_of = param("callback_of", re.compile(r"^\d{1,18}$"))
    call_actions.call_status(
        sid,
        status,
        at=timestamp_param(),
        parent_call_sid=param("ParentCallSid", CALL_SID),
        from_number=param("From", ADDRESS),
        to_number=param("To", ADDRESS),
        duration=int_param("CallDuration") if param("CallDuration") else None,
        recording_url=param("RecordingUrl", re.compile(r"^https?://\S{1,490}$")),
        callback_of=int(callback_of) if callback_of else None,
    )
    return xml(twiml.VoiceResponse())


@bp.post("/voice/transfer")
def voice_transfer():
    """The caller's leg after the operator's transfer (a worker redirected it here)."""
    from hotline.models import Department, User

    call_sid()
    code = param("department", re.compile(r"^[A-Za-z0-9_-]{1,32}$"))
    user_id = param("user", re.compile(r"^\d{1,12}$"))
    if code:
        number = db.session.scalar(select(Department.liaison_phone).where(Department.code == code))
        return zh(twiml.transfer, number=number)
    if user_id:
        return zh(twiml.transfer, user=db.session.get(User, int(user_id)))
    raise BadParameter("department or user is required", fields={"department": "required"})


@bp.post("/voice/call-back")
def voice_call_back():
    call_sid()
    operator = param("operator", re.compile(r"^\d{1,12}$"), required=True)
    return zh(twiml.call_back, int(operator or 0))


# ---- SMS ------------------------------------------------------------------------------------

STATUS_WORDS = {"received": "已受理", "handling": "办理中", "replied": "已答复", "closed": "已办结"}


@bp.post("/sms")
def sms():
    sid = param("MessageSid", MESSAGE_SID, required=True) or ""
    from_number = param("From", ADDRESS, required=True) or ""
    to_number = param("To", ADDRESS, required=True) or ""
    body = param("Body", max_len=1600) or ""
    # The callback survey's replies (two-digit codes) and TD (opt-out) come first (issue 7's handler).
    with force_locale("zh_Hans_CN"):
        survey_reply = handle_survey_sms(from_number, body, message_sid=sid)
    if survey_reply is not None:
        return xml(twiml.sms_reply(survey_reply))
    result = sms_intake.incoming_sms(sid, from_number, to_number, body)
    with force_locale("zh_Hans_CN"):
        text = None
        if result.kind == "status":
            if result.reply:
                text = _(
                    "[12345] Ticket %(number)s: %(status)s.",
                    number=result.reply["number"],
                    status=STATUS_WORDS[result.reply["status"]],
                )
                if result.reply.get("reply"):
                    text += _(" Reply: %(reply)s", reply=result.reply["reply"][:300])
            else:
                text = _("[12345] No ticket matches that number and retrieval code.")
        elif result.kind == "opt_out" and not result.duplicate:
            text = _("[12345] You will no longer receive our texts or survey calls.")
        elif result.kind == "empty":
            text = _(
                "[12345] Please describe your request in the message. To check a ticket, send "
                "CX <ticket number> <retrieval code>."
            )
        return xml(twiml.sms_reply(text))


# ---- hold, warm transfer and the softphone's outbound calls ----------------------------------------

CALL_ID = re.compile(r"^\d{1,18}$")
IDENTITY = re.compile(r"^client:operator-(\d{1,12})$")
CONFERENCE_TO = re.compile(r"^conference:call-(\d{1,18})$")


@bp.post("/voice/conference")
def voice_conference():
    """The caller's leg, redirected by hold (`hold=1`: a conference of its own with the hold music) or by a warm
    transfer (the call's conference, which the operator and the person consulted join)."""
    from hotline.actions.call_control import conference_name
    from hotline.models import Call

    call_sid()
    call = db.session.get(Call, int(param("call", CALL_ID, required=True) or 0))
    if call is None:
        raise BadParameter("no such call", fields={"call": "unknown"})
    hold = param("hold", re.compile(r"^[01]$")) == "1"
    name = f"hold-{call.id}" if hold else conference_name(call)
    return zh(twiml.caller_conference, name, hold)


@bp.post("/voice/resume")
def voice_resume():
    """The caller's leg, taken off hold: it dials the operator again."""
    from hotline.models import Call

    call_sid()
    call = db.session.get(Call, int(param("call", CALL_ID, required=True) or 0))
    if call is None:
        raise BadParameter("no such call", fields={"call": "unknown"})
    return zh(twiml.resume, call.operator)


def dialable(raw: str) -> str:
    """A number the softphone may dial, as E.164 (phonenumbers, mainland China by default); 400 otherwise."""
    from hotline.validation import dialable_number

    number = dialable_number(raw, current_app.config.get("PHONE_REGION") or "CN")
    if number is None:
        raise BadParameter("To is not a valid phone number", fields={"To": "not a valid phone number"})
    return number


@bp.post("/voice/outgoing")
def voice_outgoing():
    """The TwiML app's voice URL: the browser softphone's device.connect() lands here. Only the centre's staff
    (the identity of an active operator, supervisor, leader or admin, from our TwiML app) may call out; `To` is a
    phone number (checked with phonenumbers) or `conference:call-<id>` (the operator joining their call's
    conference for a warm transfer). The caller ID is the centre's number."""
    from hotline.actions import call_control
    from hotline.models import Call

    sid = call_sid()
    app_sid = current_app.config.get("TWILIO_TWIML_APP_SID")
    if app_sid and param("ApplicationSid", re.compile(r"^AP[0-9a-f]{32}$")) != app_sid:
        raise BadParameter("ApplicationSid is not this centre's TwiML app", fields={"ApplicationSid": "unknown"})
    identity = IDENTITY.match(param("From", ADDRESS, required=True) or "")
    if identity is None:
        raise call_control.NotStaff("only the centre's softphones may call out")
    user = call_control.staff_caller(int(identity.group(1)))
    to = param("To", re.compile(r"^[0-9A-Za-z+:() -]{1,40}$"), required=True) or ""
    if (joining := CONFERENCE_TO.match(to)) is not None:
        call = db.session.get(Call, int(joining.group(1)))
        if call is None or call.operator_id != user.id or call.ended_at is not None:
            raise call_control.NotStaff("not your call")
        return zh(twiml.join_conference, call_control.conference_name(call))
    number = dialable(to)
    callback_of, ticket = param("callback_of", CALL_ID), param("ticket", CALL_ID)
    call_control.outgoing_call(
        sid, user, number, int(callback_of) if callback_of else None, int(ticket) if ticket else None
    )
    caller_id = current_app.config.get("TWILIO_FROM_NUMBER") or "+12345"
    return zh(twiml.outgoing, number, caller_id)


@bp.post("/voice/outgoing-done")
def voice_outgoing_done():
    from hotline.actions import call_control

    sid = call_sid()
    status = param("DialCallStatus", re.compile(r"^[a-z-]{1,32}$"), required=True) or ""
    duration = int_param("DialCallDuration") if param("DialCallDuration") else None
    call_control.outgoing_finished(sid, status, duration)
    response = twiml.VoiceResponse()
    response.hangup()
    return xml(response)
