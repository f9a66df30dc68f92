"""Callback surveys (回访): scheduling, each attempt (call, SMS, by hand), the answers, and the endings.

A callback belongs to one round of a ticket. Its job (`hotline.tasks.callbacks.run_callback`) carries the
callback's `seq`; every step bumps it, so a late, duplicate or superseded job changes nothing. Steps:
call (up to CALLBACK_MAX_CALLS, spread by CALLBACK_RETRY_GAPS_MINUTES and moved into the window) ->
SMS survey with reply codes -> unreachable (the ticket closes unrated). Calls and SMS surveys happen only
inside the callback window and never to a caller on the do-not-call list.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from hotline import outbox, workflow
from hotline.actions import citizen_notices
from hotline.actions._core import ActionContext, Actor, SystemActor, require, ticket_action
from hotline.deadlines import limits
from hotline.deadlines.callback_window import CallbackWindow
from hotline.errors import NotFound, ValidationError
from hotline.extensions import db
from hotline.models import Callback, CallbackAttempt, Caller, Ticket
from hotline.models.base import utcnow
from hotline.models.callbacks import CALLBACK_DONE, CALLBACK_OPEN
from hotline.workflow import Status

log = logging.getLogger(__name__)
IVR = SystemActor(username="ivr")
SMS_SURVEY = SystemActor(username="sms-survey")
WORKER = SystemActor(username="callback-worker")
RUN_JOB = "hotline.tasks.callbacks.run_callback"
FINAL_CALL_STATUSES = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
FAILED_CALL = frozenset({"busy", "no-answer", "failed", "canceled", "incomplete", "error", "timeout"})
MANUAL_OUTCOMES = ("answered", "no-answer", "busy", "refused", "wrong-number")
ANSWERS = (1, 2, 3)


class _NothingToDo(Exception):
    """A step that a newer step, or an earlier delivery of the same request, already took."""


@dataclass(frozen=True)
class CallOrder:
    """What the job must do after the step committed: place this call."""

    callback_id: int
    attempt_id: int
    ticket_id: int
    to: str


# ---- time and configuration ------------------------------------------------------------------


def now(default: dt.datetime | None = None) -> dt.datetime:
    """The callbacks' clock: CALLBACK_CLOCK (a callable, tests inject one) or the real time."""
    clock = current_app.config.get("CALLBACK_CLOCK")
    if clock is not None:
        return clock()
    return default or utcnow()


DEFAULT_WINDOW = "08:30-20:00"


def window() -> CallbackWindow:
    """The configured window; a malformed HOTLINE_CALLBACK_WINDOW is logged and the default used."""
    spec = current_app.config.get("CALLBACK_WINDOW") or DEFAULT_WINDOW
    try:
        return CallbackWindow(spec, limits.calendar())
    except ValueError as exc:
        log.warning("%s; using %s", exc, DEFAULT_WINDOW)
        return CallbackWindow(DEFAULT_WINDOW, limits.calendar())


def delay_minutes() -> int | None:
    """HOTLINE_CALLBACK_DELAY_MINUTES, or None for the default (the next business day)."""
    raw = current_app.config.get("CALLBACK_DELAY_MINUTES")
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = -1
    if value < 0:
        log.warning("HOTLINE_CALLBACK_DELAY_MINUTES=%r is not a number of minutes; using the next business day", raw)
        return None
    return value


def _minutes(name: str) -> dt.timedelta:
    return dt.timedelta(minutes=int(current_app.config[name]))


def sampled(ticket: Ticket) -> bool:
    """Whether a direct answer is in the callback sample (CALLBACK_DIRECT_SAMPLE, default 10%).

    Decided by a hash of the ticket number, so the choice is reproducible and auditable."""
    share = float(current_app.config.get("CALLBACK_DIRECT_SAMPLE", 0.1))
    if share <= 0:
        return False
    if share >= 1:
        return True
    digest = hashlib.sha256(ticket.number.encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < share


def _answers(resolved: object, satisfaction: object) -> tuple[int, int]:
    bad = {
        k: "1, 2 or 3"
        for k, v in (("resolved", resolved), ("satisfaction", satisfaction))
        if isinstance(v, bool) or v not in ANSWERS
    }
    if bad:
        raise ValidationError("invalid callback answers", fields=bad)
    return int(resolved), int(satisfaction)  # type: ignore[call-overload]


# ---- texts (Mandarin first: they are spoken and sent to citizens) ----------------------------


def _zh(fn):
    def wrapped(*args, **kwargs) -> str:
        with force_locale("zh_Hans_CN"):
            return fn(*args, **kwargs)

    return wrapped


@_zh
def sms_survey_text(number: str) -> str:
    return _(
        "[12345] Your request %(number)s has been handled. Please reply with two digits: "
        "resolved? (1 yes, 2 partly, 3 no) then satisfaction (1 satisfied, 2 basically satisfied, "
        "3 dissatisfied), e.g. 11. Reply TD to opt out of callbacks.",
        number=number,
    )


@_zh
def sms_thanks_text() -> str:
    return _("[12345] Thank you, your rating has been recorded.")


@_zh
def sms_opted_out_text() -> str:
    return _("[12345] You will no longer receive callback calls or survey messages.")


# ---- scheduling (inside approve-reply and answer) ---------------------------------------------


def _caller(ticket: Ticket) -> tuple[str | None, bool]:
    if ticket.caller_id is None:
        return None, False
    row = db.session.execute(select(Caller.phone, Caller.do_not_call).where(Caller.id == ticket.caller_id)).first()
    return (row.phone, bool(row.do_not_call)) if row else (None, False)


def _plan(cb: Callback, at: dt.datetime) -> None:
    """Make `at` the callback's next step: a new seq and its job (through the outbox)."""
    cb.seq += 1
    cb.next_attempt_at = at
    outbox.add_job(RUN_JOB, [cb.id, cb.seq], at=at)


def schedule_callback(ctx: ActionContext, reason: str) -> Callback | None:
    """A callback for the ticket's current round, at the next allowed window (once per round)."""
    t = ctx.ticket
    rnd = t.reopen_count + 1
    if db.session.scalar(select(Callback.id).where(Callback.ticket_id == t.id, Callback.round == rnd)):
        return None
    phone, do_not_call = _caller(t)
    if reason == "direct" and (do_not_call or not phone):
        return None
    cb = Callback(
        ticket_id=t.id,
        round=rnd,
        reason=reason,
        status="scheduled",
        phone=phone,
        call_attempts=0,
        seq=0,
        created_at=ctx.now,
    )
    db.session.add(cb)
    db.session.flush()
    # Nobody to call: nothing to wait for, the job closes it unrated at once.
    at = now(ctx.now) if do_not_call or not phone else window().first_callback(now(ctx.now), delay_minutes())
    _plan(cb, at)
    ctx.event(
        action="callback",
        data={"callback": cb.id, "step": "scheduled", "round": rnd, "reason": reason, "at": at.isoformat()},
    )
    return cb


# ---- the job's steps ----------------------------------------------------------------------------


def _locked(callback_id: int) -> Callback:
    cb = db.session.scalar(select(Callback).where(Callback.id == callback_id).with_for_update())
    if cb is None:
        raise NotFound("no such callback")
    return cb


def _ticket_of(callback_id: int) -> int:
    ticket_id = db.session.scalar(select(Callback.ticket_id).where(Callback.id == callback_id))
    db.session.rollback()  # only a peek: the action locks the ticket, then the callback
    if ticket_id is None:
        raise NotFound("no such callback")
    return ticket_id


def _open_attempt(cb: Callback, channel: str, sid: str | None = None) -> CallbackAttempt | None:
    query = select(CallbackAttempt).where(CallbackAttempt.callback_id == cb.id, CallbackAttempt.channel == channel)
    if sid:
        hit = db.session.scalar(query.where(CallbackAttempt.provider_sid == sid))
        if hit is not None:
            return hit
    return db.session.scalar(query.where(CallbackAttempt.outcome.is_(None)).order_by(CallbackAttempt.id.desc()))


def _is_current_round(cb: Callback, t: Ticket) -> bool:
    return cb.reason == "reply" and t.status == Status.CALLBACK_PENDING and cb.round == t.reopen_count + 1


def _finish(ctx: ActionContext, cb: Callback, status: str, close_reason: str) -> None:
    """End the callback unrated; a reply's callback closes its ticket (close_reason says why)."""
    cb.status, cb.completed_at, cb.next_attempt_at = status, ctx.now, None
    cb.seq += 1
    t = ctx.ticket
    if _is_current_round(cb, t) and t.callback_satisfaction is None:
        workflow.check("close-unreachable", t.status, ctx.actor.role)
        t.closed_at, t.close_reason = ctx.now, close_reason
        ctx.set_status(Status.CLOSED)
        ctx.event(action="close-unreachable", data={"callback": cb.id, "reason": close_reason})
    else:
        ctx.event(data={"callback": cb.id, "step": status, "reason": close_reason})


def _after_failed_call(ctx: ActionContext, cb: Callback, attempt: CallbackAttempt | None) -> None:
    """A call not answered (or not completed): the next call at a different time, or the SMS survey."""
    cb.status = "scheduled"
    win = window()
    limit = int(current_app.config["CALLBACK_MAX_CALLS"])
    if cb.call_attempts < limit:
        gaps = current_app.config["CALLBACK_RETRY_GAPS_MINUTES"]
        gap = dt.timedelta(minutes=int(gaps[min(cb.call_attempts, len(gaps)) - 1]))
        base = attempt.started_at if attempt is not None else ctx.now
        at = win.next_allowed(max(base + gap, ctx.now))
    else:
        at = win.next_allowed(ctx.now)
    _plan(cb, at)
    ctx.event(
        data={
            "callback": cb.id,
            "step": "call-failed",
            "attempt": attempt.number if attempt else None,
            "outcome": attempt.outcome if attempt else None,
            "next_at": at.isoformat(),
        }
    )


def _step(ctx: ActionContext, cb: Callback) -> CallOrder | None:
    t = ctx.ticket
    if cb.reason == "reply" and not _is_current_round(cb, t):
        cb.status, cb.completed_at, cb.next_attempt_at = "cancelled", ctx.now, None
        ctx.event(data={"callback": cb.id, "step": "cancelled"})
        return None
    phone, do_not_call = _caller(t)
    phone = cb.phone or phone
    if do_not_call:
        _finish(ctx, cb, "opted_out", "do_not_call")
        return None
    if not phone:
        _finish(ctx, cb, "unreachable", "no_contact")
        return None
    if cb.status == "calling":  # the watchdog: the call's outcome never arrived
        attempt = _open_attempt(cb, "call")
        if attempt is not None:
            attempt.outcome, attempt.ended_at = "timeout", ctx.now
        _after_failed_call(ctx, cb, attempt)
        return None
    if cb.status == "sms_sent":  # no reply to the SMS survey in time
        attempt = _open_attempt(cb, "sms")
        if attempt is not None:
            attempt.outcome, attempt.ended_at = "expired", ctx.now
        _finish(ctx, cb, "unreachable", "unreachable")
        return None
    win = window()
    if not win.contains(ctx.now):  # a late or early job never calls outside the window
        at = win.next_allowed(ctx.now)
        _plan(cb, at)
        ctx.event(data={"callback": cb.id, "step": "rescheduled", "at": at.isoformat()})
        return None
    if cb.call_attempts < int(current_app.config["CALLBACK_MAX_CALLS"]):
        cb.call_attempts += 1
        attempt = CallbackAttempt(callback_id=cb.id, channel="call", number=cb.call_attempts, started_at=ctx.now)
        db.session.add(attempt)
        db.session.flush()
        cb.status = "calling"
        _plan(cb, ctx.now + _minutes("CALLBACK_CALL_TIMEOUT_MINUTES"))
        ctx.event(data={"callback": cb.id, "step": "call", "attempt": cb.call_attempts})
        return CallOrder(cb.id, attempt.id, t.id, phone)
    attempt = CallbackAttempt(callback_id=cb.id, channel="sms", number=cb.call_attempts + 1, started_at=ctx.now)
    db.session.add(attempt)
    outbox.add_sms(phone, sms_survey_text(t.number), t.id)
    cb.status = "sms_sent"
    _plan(cb, ctx.now + _minutes("CALLBACK_SMS_WAIT_MINUTES"))
    ctx.event(data={"callback": cb.id, "step": "sms"})
    return None


def advance(callback_id: int, seq: int) -> CallOrder | None:
    """Run step `seq` of a callback (its job calls this); a call to place comes back as a CallOrder."""
    try:
        ticket_id = _ticket_of(callback_id)
    except NotFound:
        return None
    at = now()
    try:
        with ticket_action(ticket_id, "callback", WORKER, now=at) as ctx:
            cb = _locked(callback_id)
            if cb.seq != seq or cb.status in CALLBACK_DONE:
                raise _NothingToDo
            return _step(ctx, cb)
    except _NothingToDo:
        return None


SWEEP_GRACE = dt.timedelta(minutes=10)


def replan_lost_steps(limit: int = 1000) -> int:
    """Callbacks whose step is well past due (its job was lost with Redis, or never delivered): enqueue the
    same step again through the outbox. A step that did run moved `seq` on, so a duplicate does nothing."""
    due = db.session.execute(
        select(Callback.id, Callback.seq, Callback.next_attempt_at)
        .where(Callback.status.in_(CALLBACK_OPEN), Callback.next_attempt_at <= now() - SWEEP_GRACE)
        .order_by(Callback.next_attempt_at)
        .limit(limit)
    ).all()
    for cb_id, seq, _at in due:
        outbox.add_job(RUN_JOB, [cb_id, seq])
    db.session.commit()
    if due:
        outbox.kick()
    return len(due)


def call_started(attempt_id: int, sid: str) -> None:
    """The provider accepted the call: keep its sid (status callbacks and answers name it)."""
    attempt = db.session.get(CallbackAttempt, attempt_id)
    if attempt is not None and not attempt.provider_sid:
        attempt.provider_sid = sid
    db.session.commit()


def call_outcome(callback_id: int, call_sid: str | None, status: str, actor: Actor = IVR) -> bool:
    """A survey call ended (status callback, or the provider refused it). False if already known."""
    if status not in FINAL_CALL_STATUSES and status != "error":
        return False
    ticket_id = _ticket_of(callback_id)
    try:
        with ticket_action(ticket_id, "callback", actor, now=now()) as ctx:
            cb = _locked(callback_id)
            attempt = _open_attempt(cb, "call", call_sid)
            if attempt is None or attempt.outcome is not None:
                raise _NothingToDo
            attempt.outcome = "incomplete" if status == "completed" else status
            attempt.ended_at = ctx.now
            if call_sid and not attempt.provider_sid:
                attempt.provider_sid = call_sid
            if cb.status == "calling" and attempt.outcome in FAILED_CALL:
                _after_failed_call(ctx, cb, attempt)
            else:
                ctx.event(data={"callback": cb.id, "step": "call-ended", "outcome": attempt.outcome})
    except _NothingToDo:
        return False
    return True


# ---- answers ---------------------------------------------------------------------------------------


def on_recorded(
    ctx: ActionContext,
    resolved: int,
    satisfaction: int,
    via: str = "manual",
    callback_id: int | None = None,
    call_sid: str | None = None,
) -> Callback:
    """Inside an action that records a rating: mark the round's callback and attempt answered."""
    t = ctx.ticket
    cb = db.session.scalar(
        select(Callback).where(Callback.ticket_id == t.id, Callback.round == t.reopen_count + 1).with_for_update()
    )
    if callback_id is not None:
        require(
            cb is not None and cb.id == callback_id, "this callback is not the ticket's current one", "stale_callback"
        )
        assert cb is not None
        require(cb.status != "answered", "this callback was already answered", "already_answered")
    if cb is None:  # rated by hand with no survey scheduled (e.g. a ticket approved before callbacks existed)
        cb = Callback(
            ticket_id=t.id,
            round=t.reopen_count + 1,
            reason="reply" if t.department_id else "direct",
            status="scheduled",
            phone=_caller(t)[0],
            call_attempts=0,
            seq=0,
            created_at=ctx.now,
        )
        db.session.add(cb)
        db.session.flush()
    if via == "manual":
        number = len(cb.attempts) + 1
        attempt: CallbackAttempt | None = CallbackAttempt(
            callback_id=cb.id, channel="manual", number=number, started_at=ctx.now, actor_id=ctx.actor.id
        )
        db.session.add(attempt)
    else:
        attempt = _open_attempt(cb, "call" if via == "call" else "sms", call_sid)
    if attempt is not None:
        attempt.outcome = "replied" if via == "sms" else "answered"
        attempt.ended_at = ctx.now
        attempt.resolved, attempt.satisfaction = resolved, satisfaction
        if call_sid and not attempt.provider_sid:
            attempt.provider_sid = call_sid
    cb.status, cb.resolved, cb.satisfaction = "answered", resolved, satisfaction
    cb.answered_via, cb.completed_at, cb.next_attempt_at = via, ctx.now, None
    cb.seq += 1  # any pending step of this callback is moot
    return cb


def survey_open(callback_id: int) -> bool:
    """Whether the survey still takes answers (for the IVR: else it only thanks the caller)."""
    cb = db.session.get(Callback, callback_id)
    if cb is None:
        raise NotFound("no such callback")
    return cb.status in CALLBACK_OPEN


# ---- endings decided by a supervisor -------------------------------------------------------------


def close_unreachable(ticket_id: int, actor: Actor, note: str | None = None) -> Ticket:
    """Closed unrated: the caller could not be reached (a supervisor gives up on the manual list)."""
    if note is not None and not isinstance(note, str):
        raise ValidationError("note must be a string", fields={"note": "must be a string"})
    with ticket_action(ticket_id, "close-unreachable", actor) as ctx:
        t = ctx.ticket
        require(t.callback_satisfaction is None, "the callback has a rating already", "rated")
        cb = db.session.scalar(
            select(Callback).where(Callback.ticket_id == t.id, Callback.round == t.reopen_count + 1).with_for_update()
        )
        if cb is not None and cb.status in CALLBACK_OPEN:
            cb.status, cb.completed_at, cb.next_attempt_at = "unreachable", ctx.now, None
            cb.seq += 1
        t.closed_at, t.close_reason = ctx.now, "unreachable"
        ctx.set_status(Status.CLOSED)
        ctx.event(note=note, data={"callback": cb.id if cb else None, "reason": "unreachable"})
    return ctx.ticket


def close_excluded(ticket_id: int, actor: Actor, reason: object) -> Ticket:
    """Verified dissatisfaction with a lawful outcome (enforcement, mediation): closed, and the
    rating is excluded from the satisfaction figures. The reason is required."""
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError("reason is required", fields={"reason": "required"})
    if len(reason) > 2000:
        raise ValidationError("reason is too long", fields={"reason": "at most 2000 characters"})
    with ticket_action(ticket_id, "close-excluded", actor) as ctx:
        t = ctx.ticket
        require(t.callback_satisfaction == 3, "only a dissatisfied callback can be excluded", "not_dissatisfied")
        t.satisfaction_excluded = True
        t.status_reason = reason.strip()
        t.closed_at, t.close_reason = ctx.now, "excluded"
        ctx.set_status(Status.CLOSED)
        ctx.event(note=reason.strip(), data={"resolved": t.callback_resolved, "satisfaction": 3})
    return ctx.ticket


# ---- SMS: replies to the survey, and opting out ---------------------------------------------------


def opt_out(phone: str) -> None:
    """TD: the caller is put on the do-not-call list (no survey calls, no survey SMS)."""
    citizen_notices.mark_do_not_call(phone, utcnow())
    db.session.commit()
