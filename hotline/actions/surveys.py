"""Survey answers (回访结果) arriving from outside: the IVR's keypad, an SMS reply, a supervisor's call by hand.

Above hotline.actions.lifecycle and hotline.actions.callbacks: a reply round's answers are recorded by the
lifecycle's `record_callback` (which may close the ticket), a sampled direct answer's on the callback alone; the
callback rules below never call back up here.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select

from hotline.actions._core import Actor, require, ticket_action
from hotline.actions.callbacks import (
    MANUAL_OUTCOMES,
    SMS_SURVEY,
    _answers,
    _locked,
    _NothingToDo,
    _ticket_of,
    now,
    on_recorded,
    opt_out,
    sms_opted_out_text,
    sms_thanks_text,
)
from hotline.actions.lifecycle import record_callback
from hotline.errors import DomainError, ValidationError
from hotline.extensions import db
from hotline.models import Callback, CallbackAttempt
from hotline.models.callbacks import CALLBACK_DONE, CALLBACK_OPEN
from hotline.validation import normalize_phone


def record_answers(
    callback_id: int,
    resolved: object,
    satisfaction: object,
    via: str,
    actor: Actor,
    call_sid: str | None = None,
    note: str | None = None,
) -> bool:
    """The survey's answers (keypad, SMS reply, or a supervisor's call). False when they were
    already recorded or the callback is over: a retried webhook changes nothing."""
    res, sat = _answers(resolved, satisfaction)
    ticket_id = _ticket_of(callback_id)
    cb = db.session.get(Callback, callback_id)
    assert cb is not None
    done, reason = cb.status in CALLBACK_DONE, cb.reason
    db.session.rollback()
    if done:
        return False
    if reason == "reply":
        try:
            record_callback(
                ticket_id,
                actor,
                res,
                sat,
                note=note,
                survey={"via": via, "callback_id": callback_id, "call_sid": call_sid},
            )
        except DomainError as exc:
            if exc.status == 409:
                return False
            raise
        return True
    try:  # a sampled direct answer: the ticket is closed already; the rating is recorded all the same
        with ticket_action(ticket_id, "callback", actor, now=now()) as ctx:
            locked = _locked(callback_id)
            if locked.status in CALLBACK_DONE:
                raise _NothingToDo
            t = ctx.ticket
            t.callback_resolved, t.callback_satisfaction, t.callback_at = res, sat, ctx.now
            on_recorded(ctx, res, sat, via, callback_id, call_sid)
            ctx.event(
                note=note,
                data={"callback": callback_id, "step": "answered", "via": via, "resolved": res, "satisfaction": sat},
            )
    except _NothingToDo:
        return False
    return True


def record_manual_attempt(
    callback_id: int,
    actor: Actor,
    outcome: object,
    resolved: object = None,
    satisfaction: object = None,
    note: object = None,
) -> Callback:
    """A supervisor called by hand (manual calling list): the outcome, and the answers if reached."""
    if outcome not in MANUAL_OUTCOMES:
        raise ValidationError("unknown outcome", fields={"outcome": "one of " + ", ".join(MANUAL_OUTCOMES)})
    if note is not None and (not isinstance(note, str) or len(note) > 2000):
        raise ValidationError("note must be a string", fields={"note": "a string of at most 2000 characters"})
    if outcome == "answered":
        res, sat = _answers(resolved, satisfaction)
        if not record_answers(callback_id, res, sat, "manual", actor, note=note):  # type: ignore[arg-type]
            raise DomainError("this callback is already finished", code="callback_finished", status=409)
    else:
        ticket_id = _ticket_of(callback_id)
        with ticket_action(ticket_id, "callback", actor, now=now()) as ctx:
            cb = _locked(callback_id)
            require(cb.status in CALLBACK_OPEN, "this callback is already finished", "callback_finished")
            db.session.add(
                CallbackAttempt(
                    callback_id=cb.id,
                    channel="manual",
                    number=len(cb.attempts) + 1,
                    started_at=ctx.now,
                    ended_at=ctx.now,
                    outcome=outcome,
                    note=note,
                    actor_id=actor.id,
                )
            )
            ctx.event(note=note, data={"callback": cb.id, "step": "manual", "outcome": outcome})  # type: ignore[arg-type]
    db.session.expire_all()
    done = db.session.get(Callback, callback_id)
    assert done is not None
    return done


def handle_survey_sms(from_phone: str, body: str, message_sid: str | None = None) -> str | None:
    """For the SMS webhook, before anything else: `TD` opts out; a two-digit code ("11".."33") answers
    the sender's SMS survey. Returns the reply to send, or None if the message is not for the survey.
    A retried webhook (the same MessageSid) gets the same reply and changes nothing."""
    phone = normalize_phone(from_phone)
    if not phone:
        return None
    text = unicodedata.normalize("NFKC", body or "").strip().upper()
    if text == "TD":
        opt_out(phone)
        return sms_opted_out_text()
    if not re.fullmatch(r"[1-3]{2}", text):
        return None
    if message_sid and db.session.scalar(
        select(CallbackAttempt.id).where(CallbackAttempt.channel == "sms", CallbackAttempt.provider_sid == message_sid)
    ):
        db.session.rollback()
        return sms_thanks_text()
    cb_id = db.session.scalar(
        select(Callback.id).where(Callback.phone == phone, Callback.status == "sms_sent").order_by(Callback.id.desc())
    )
    db.session.rollback()
    if cb_id is None:
        return None
    record_answers(cb_id, int(text[0]), int(text[1]), "sms", SMS_SURVEY, call_sid=message_sid)
    return sms_thanks_text()
