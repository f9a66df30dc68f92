"""TwiML for the IVR (Mandarin, Say in zh-CN): the greeting menu, the status check, the operator queue
and the voice message. Builders only: they turn the actions' decisions into XML."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from redis.exceptions import RedisError
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from hotline import presence
from hotline.actions.calls import Route
from hotline.extensions import db
from hotline.models import User

LANG = "zh-CN"
QUEUE_NAME = "hotline"
PREFIX = "/integrations/twilio"


def url(path: str) -> str:
    """Absolute, under HOTLINE_PUBLIC_URL: what Twilio requests is what the signature check rebuilds."""
    return current_app.config["PUBLIC_URL"] + PREFIX + path


def say(node, text: str) -> None:
    node.say(text, language=LANG)


def spell(value: str) -> str:
    """Digits and letters one by one, so the speech engine reads XC2026... as X C 2 0 2 6 ..."""
    return " ".join(value)


def greeting(line_name: str | None) -> VoiceResponse:
    r = VoiceResponse()
    if line_name:
        say(r, _("The %(line)s line is now answered by the 12345 hotline.", line=line_name))
    gather = r.gather(
        num_digits=1,
        action=url("/voice/menu"),
        method="POST",
        input="dtmf speech",
        language=LANG,
        timeout=6,
        hints="反映,咨询,查询,人工",
    )
    say(
        gather,
        _(
            "Welcome to the 12345 government service hotline. To report a problem or ask a question, "
            "press 1. To check a ticket, press 2. For an operator, press 0."
        ),
    )
    r.redirect(url("/voice/menu?Digits=0"), method="POST")  # no answer: a person takes it
    return r


def menu_again(tries: int) -> VoiceResponse:
    r = VoiceResponse()
    say(r, _("Sorry, that is not a choice on the menu."))
    gather = r.gather(
        num_digits=1,
        action=url(f"/voice/menu?tries={tries}"),
        method="POST",
        input="dtmf speech",
        language=LANG,
        timeout=6,
    )
    say(
        gather,
        _("To report a problem or ask a question, press 1. To check a ticket, press 2. For an operator, press 0."),
    )
    r.redirect(url("/voice/menu?Digits=0"), method="POST")
    return r


def ask_ticket_number(retry: bool = False) -> VoiceResponse:
    r = VoiceResponse()
    if retry:
        say(r, _("That ticket number is not valid."))
    gather = r.gather(action=url("/voice/status-check"), method="POST", finish_on_key="#", timeout=10, num_digits=20)
    say(gather, _("Please enter the digits of your ticket number, then press the pound key."))
    r.redirect(url("/voice/menu?Digits=0"), method="POST")
    return r


def ask_retrieval_code(number: str) -> VoiceResponse:
    r = VoiceResponse()
    gather = r.gather(
        action=url(f"/voice/status-check?number={number}"), method="POST", finish_on_key="#", timeout=10, num_digits=6
    )
    say(gather, _("Please enter the 6-digit retrieval code from your text message."))
    r.redirect(url("/voice/menu?Digits=0"), method="POST")
    return r


PUBLIC_STATUS_WORDS = {
    "received": _l("Received, waiting to be handled"),
    "handling": _l("Being handled"),
    "replied": _l("Replied, waiting for the follow-up call"),
    "closed": _l("Closed"),
}


def status_result(number: str, result: dict | None, again: bool) -> VoiceResponse:
    r = VoiceResponse()
    if result is None:
        say(r, _("No ticket matches that number and retrieval code."))
        if again:
            return _append(r, ask_ticket_number())
        say(r, _("Transferring you to an operator."))
        r.redirect(url("/voice/menu?Digits=0"), method="POST")
        return r
    say(r, _("Ticket %(number)s: %(status)s.", number=spell(number), status=str(PUBLIC_STATUS_WORDS[result["status"]])))
    if result.get("reply"):
        say(r, _("The reply: %(reply)s", reply=result["reply"][:300]))
    gather = r.gather(num_digits=1, action=url("/voice/menu"), method="POST", timeout=6)
    say(gather, _("For an operator, press 0. Otherwise, please hang up."))
    r.hangup()
    return r


def _append(first: VoiceResponse, second: VoiceResponse) -> VoiceResponse:
    for verb in second.verbs:
        first.append(verb)
    return first


def route(decision: Route) -> VoiceResponse:
    """Where the actions sent a caller who wants a person."""
    r = VoiceResponse()
    if decision.kind == "hangup":
        r.hangup()
    elif decision.kind == "dial":
        op = decision.operator
        assert op is not None
        say(
            r,
            _("Please hold: the leader on duty will take your call.")
            if decision.leader
            else _("Connecting you to an operator, please hold."),
        )
        dial_user(r, op, decision.leader)
    elif decision.kind == "queue":
        say(r, _("All operators are busy. You are number %(n)s in the queue.", n=decision.position))
        r.enqueue(
            QUEUE_NAME,
            action=url("/voice/queue-exit"),
            method="POST",
            wait_url=url("/voice/queue-wait"),
            wait_url_method="POST",
        )
    elif decision.kind == "voicemail":
        say(
            r,
            _("Our operators are not on duty now.")
            if decision.reason == "out_of_hours"
            else _("The wait is long now."),
        )
        say(
            r,
            _(
                "After the tone, please leave a message with your request and address, then press the pound "
                "key. We will call you back."
            ),
        )
        r.record(
            action=url("/voice/voicemail"), method="POST", max_length=120, finish_on_key="#", play_beep=True, timeout=8
        )
        say(r, _("We did not receive a message. Goodbye."))
        r.hangup()
    elif decision.kind == "leave":
        r.leave()
    return r


def dial_user(r: VoiceResponse, op: User, leader: bool = False) -> None:
    """Dial the operator (or the leader): their softphone, or their own phone when no console is open; the Dial's
    action routes the caller again if they do not answer."""
    dial = r.dial(
        action=url(f"/voice/dial-done?leader={int(leader)}"),
        method="POST",
        timeout=current_app.config["OPERATOR_RING_SECONDS"],
        answer_on_bridge=True,
    )
    options = {
        "status_callback_event": "initiated ringing answered completed",
        "status_callback": url("/voice/status"),
        "status_callback_method": "POST",
    }
    if rings_softphone(op):
        dial.client(client_identity(op.id), **options)
    else:
        dial.number(op.phone, **options)


def hold_music_url() -> str:
    return current_app.config.get("HOLD_MUSIC_URL") or (
        current_app.config["PUBLIC_URL"] + "/agents/static/sounds/hold.wav"
    )


def caller_conference(name: str, hold: bool) -> VoiceResponse:
    """The caller's leg in a conference: alone with the hold music (保持), or with the operator and the person
    consulted (咨询转接). The caller's leaving ends it; when it ends, the call ends."""
    r = VoiceResponse()
    if hold:
        say(r, _("Please hold, your call is being handled."))
    else:
        say(r, _("Please hold, we are bringing in a colleague to help you."))
    dial = r.dial()
    dial.conference(
        name,
        start_conference_on_enter=False,
        end_conference_on_exit=True,
        wait_url=hold_music_url(),
        wait_method="GET",
        beep=False,
        participant_label="caller",
    )
    r.hangup()
    return r


def resume(op: User | None) -> VoiceResponse:
    """恢复: the caller's leg dials the operator who put it on hold."""
    r = VoiceResponse()
    if op is None:
        r.hangup()
        return r
    dial_user(r, op)
    return r


def join_conference(name: str) -> VoiceResponse:
    """The operator's softphone joins the call's conference (咨询转接); leaving does not end it until the operator
    takes the caller back."""
    r = VoiceResponse()
    dial = r.dial()
    dial.conference(
        name, start_conference_on_enter=True, end_conference_on_exit=False, beep=False, participant_label="operator"
    )
    return r


def outgoing(number: str, caller_id: str) -> VoiceResponse:
    """外呼 from the softphone: the centre's number calls the citizen; the Dial's action records the result."""
    r = VoiceResponse()
    dial = r.dial(
        caller_id=caller_id, action=url("/voice/outgoing-done"), method="POST", timeout=30, answer_on_bridge=True
    )
    dial.number(number)
    return r


def hold(position: int | None) -> VoiceResponse:
    r = VoiceResponse()
    say(r, _("Please hold. You are number %(n)s in the queue.", n=position or 1))
    r.pause(length=8)
    return r


def voicemail_done(number: str, code: str | None) -> VoiceResponse:
    r = VoiceResponse()
    if code:
        say(
            r,
            _(
                "Your message is recorded as ticket %(number)s, retrieval code %(code)s. We will call you back.",
                number=spell(number),
                code=spell(code),
            ),
        )
    else:
        say(r, _("Your message is recorded. We will call you back."))
    r.hangup()
    return r


def no_message() -> VoiceResponse:
    r = VoiceResponse()
    say(r, _("We did not receive a message. Goodbye."))
    r.hangup()
    return r


def call_back(operator_id: int) -> VoiceResponse:
    r = VoiceResponse()
    say(r, _("This is the 12345 hotline returning your call. Connecting you to an operator."))
    dial = r.dial(timeout=30)
    operator = db.session.get(User, operator_id)
    if operator is not None and not rings_softphone(operator):
        dial.number(operator.phone)
    else:
        dial.client(client_identity(operator_id))
    return r


def rings_softphone(user: User) -> bool:
    """The console's softphone when it is open (a console socket is connected), else the operator's own phone
    (set by admins on /agents/admin/users) when there is one; with neither, the softphone identity all the same."""
    if not user.phone:
        return True
    try:
        return presence.online(user.id)
    except RedisError:  # unreachable: the phone number is the one that surely rings
        return False


def transfer(number: str | None = None, user: User | None = None) -> VoiceResponse:
    """转接: the caller's leg, redirected by the operator's transfer, dials the department or the supervisor."""
    r = VoiceResponse()
    say(r, _("Transferring your call, please hold."))
    dial = r.dial(timeout=current_app.config["OPERATOR_RING_SECONDS"] * 2, answer_on_bridge=True)
    events = "initiated ringing answered completed"
    options = {
        "status_callback_event": events,
        "status_callback": url("/voice/status"),
        "status_callback_method": "POST",
    }
    if user is not None and rings_softphone(user):
        dial.client(client_identity(user.id), **options)
    elif user is not None:
        dial.number(user.phone, **options)
    elif number:
        dial.number(number, **options)
    say(r, _("Sorry, nobody could take the call. Please call again later."))
    r.hangup()
    return r


def client_identity(user_id: int) -> str:
    """The operator's Twilio Client identity (the console's softphone registers as this)."""
    return f"operator-{user_id}"


def sms_reply(text: str | None) -> MessagingResponse:
    r = MessagingResponse()
    if text:
        r.message(text)
    return r
