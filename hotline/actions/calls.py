"""The call centre's actions (来电): the IVR's decisions, the operator queue, call records, voice messages
and SMS intake. Twilio's webhooks (and the console simulator) call these and render the answer as TwiML;
nothing here knows about Twilio.

Every status callback may come late, twice or out of order: call records only move forward (times keep
the earliest answer and end, the status keeps the furthest rank), and the outcome, wait and talk seconds
are recomputed from those fields, so any order of the same callbacks gives the same record.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select, update

from hotline import access, outbox
from hotline.actions import citizen_notices
from hotline.actions.intake import IntakeData, create_ticket
from hotline.actions.presence import available_now, effective_status
from hotline.deadlines.calendar import TZ
from hotline.errors import Conflict, Forbidden, NotFound, ValidationError
from hotline.extensions import db
from hotline.fastpath import autocommit_engine
from hotline.models import (
    Call,
    Caller,
    Department,
    HotlineLine,
    LeaderSlot,
    OperatorPresence,
    SmsMessage,
    Ticket,
    User,
)
from hotline.models.base import utcnow
from hotline.models.calls import CALL_STATUS_RANK
from hotline.upsert import upsert

TERMINAL = frozenset(s for s, rank in CALL_STATUS_RANK.items() if rank == 3)


@dataclass
class Route:
    """Where a caller who asked for a person goes next."""

    kind: str  # dial | queue | voicemail | hangup
    call: Call
    operator: User | None = None
    leader: bool = False
    position: int | None = None
    reason: str | None = None  # for voicemail: out_of_hours | long_wait


# ---- helpers --------------------------------------------------------------------------------


def _earliest(a: dt.datetime | None, b: dt.datetime | None) -> dt.datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _lock_call(call_sid: str) -> Call:
    call = db.session.scalar(select(Call).where(Call.call_sid == call_sid).with_for_update())
    if call is None:
        raise NotFound("no such call")
    return call


def line_for(to_number: str) -> str | None:
    """The merged hotline a call or SMS came in on: `To` = 12315, +8656312315, 0563-12369 ..."""
    digits = re.sub(r"\D", "", to_number or "")
    if not digits:
        return None
    lines = current_app.extensions.setdefault("hotline_lines", {})
    if not lines:
        lines.update({n: n for n in db.session.scalars(select(HotlineLine.number))})
    if digits in lines:
        return digits
    for number in sorted(lines, key=len, reverse=True):  # an area code in front: 056312315, 8656312315
        if len(number) >= 5 and digits.endswith(number) and len(digits) - len(number) <= 6:
            return number
    return None


def within_operator_hours(now: dt.datetime) -> bool:
    spec = current_app.config.get("OPERATOR_HOURS") or "00:00-24:00"
    start_s, _, end_s = spec.partition("-")

    def minutes(s: str) -> int:
        h, _, m = s.strip().partition(":")
        return int(h) * 60 + int(m or 0)

    start, end = minutes(start_s), minutes(end_s)
    local = now.astimezone(TZ)
    t = local.hour * 60 + local.minute
    if start == end or (start == 0 and end >= 24 * 60):
        return True
    return start <= t < end if start < end else (t >= start or t < end)


def _recent_tickets(phone: str) -> list[dict]:
    rows = db.session.execute(
        select(Ticket.id, Ticket.number, Ticket.status, Ticket.created_at)
        .join(Caller, Caller.id == Ticket.caller_id)
        .where(Caller.phone == phone)
        .order_by(Ticket.id.desc())
        .limit(5)
    )
    return [{"id": r.id, "number": r.number, "status": r.status, "created_at": r.created_at.isoformat()} for r in rows]


def call_event(call: Call, op: str, leader: bool = False) -> dict:
    """The screen pop: who is calling on which line, and what they asked before."""
    caller_name = db.session.scalar(select(Caller.name).where(Caller.phone == call.from_number))
    return {
        "type": "call",
        "op": op,
        "id": call.id,
        "call_sid": call.call_sid,
        "from": call.from_number,
        "line": call.line,
        "operator_id": call.operator_id,
        "leader": leader,
        "ticket_id": call.ticket_id,
        "caller": {"name": caller_name, "recent_tickets": _recent_tickets(call.from_number) if op == "ringing" else []},
    }


def _publish_call(call: Call, op: str, leader: bool = False) -> None:
    rooms = ["operators", "supervisors"]
    if call.operator_id:
        rooms.append(f"user:{call.operator_id}")
    outbox.add_socket_event(call_event(call, op, leader), rooms)


def _commit() -> None:
    db.session.commit()
    outbox.kick()


# ---- incoming calls and the menu ------------------------------------------------------------


# One statement (hotline.upsert): the no-op update on conflict makes RETURNING answer for a retried webhook as well.
_UPSERT_CALL = upsert(
    Call,
    (
        "call_sid",
        "direction",
        "from_number",
        "to_number",
        "line",
        "status",
        "started_at",
        "updated_at",
        "queued",
        "callback_needed",
        "status_check_failures",
    ),
    on=("call_sid",),
    set_={"call_sid": "excluded.call_sid"},
    returning=("line",),
)


def incoming_call(call_sid: str, from_number: str, to_number: str, direction: str = "inbound") -> str | None:
    """来电: the call record, once per CallSid (a retried webhook finds the same record); returns its line.

    A single statement is its own transaction: it runs in autocommit, one round trip (no BEGIN, no COMMIT), and
    writes no outbox rows (no relay pass to wake)."""
    now = utcnow()
    params = {
        "call_sid": call_sid,
        "direction": direction,
        "from_number": from_number,
        "to_number": to_number,
        "line": line_for(to_number) or None,
        "status": "ringing",
        "started_at": now,
        "updated_at": now,
        "queued": False,
        "callback_needed": False,
        "status_check_failures": 0,
    }
    with autocommit_engine().connect() as conn:
        return conn.execute(_UPSERT_CALL, params).scalar_one()


def record_menu_choice(call_sid: str, choice: str) -> Call:
    try:
        call = _lock_call(call_sid)
        call.menu_choice = choice
        call.updated_at = utcnow()
        _commit()
        return call
    except BaseException:
        db.session.rollback()
        raise


# ---- the operator queue ---------------------------------------------------------------------


def _claim_operator(call: Call, now: dt.datetime, exclude: set[int] = frozenset()) -> User | None:  # type: ignore[assignment]
    """The longest-idle available operator, made busy with this call (concurrent calls skip each other's
    claimed row instead of waiting for it)."""
    query = (
        select(OperatorPresence)
        .join(User, User.id == OperatorPresence.user_id)
        .where(available_now(now), User.active.is_(True))
        .order_by(OperatorPresence.changed_at, OperatorPresence.user_id)
        .limit(1)
        .with_for_update(skip_locked=True, of=OperatorPresence)
    )
    if exclude:
        query = query.where(OperatorPresence.user_id.not_in(exclude))
    presence = db.session.scalar(query)
    if presence is None:
        return None
    presence.status, presence.changed_at, presence.current_call_id = "busy", now, call.id
    presence.after_call_until = None
    return presence.user


def _claim_leader(call: Call, now: dt.datetime) -> User | None:
    """The leader on duty now (领导接听), made busy with this call unless already on one or away."""
    slot = db.session.scalar(
        select(LeaderSlot).where(LeaderSlot.starts_at <= now, LeaderSlot.ends_at > now).order_by(LeaderSlot.id)
    )
    if slot is None or not slot.user.active:
        return None
    presence = db.session.get(OperatorPresence, slot.user_id, with_for_update=True)
    if presence is None:
        presence = OperatorPresence(user_id=slot.user_id, status="available", changed_at=now)
        db.session.add(presence)
    elif effective_status(presence, now) != "available":
        return None  # on another call, or stepped away: the operators take this one
    presence.status, presence.changed_at, presence.current_call_id = "busy", now, call.id
    presence.after_call_until = None
    return slot.user


def queue_position(call: Call) -> int:
    return 1 + (
        db.session.scalar(
            select(func.count())
            .select_from(Call)
            .where(
                Call.queued.is_(True),
                Call.answered_at.is_(None),
                Call.ended_at.is_(None),
                Call.offered_at < call.offered_at,
                Call.id != call.id,
            )
        )
        or 0
    )


def route_call(call_sid: str, skip_leader: bool = False) -> Route:
    """The caller wants a person: the scheduled leader first (领导接听), else the longest-idle available
    operator, else the hold queue; out of hours or when the queue is too long, a voice message."""
    try:
        now = utcnow()
        call = _lock_call(call_sid)
        if call.ended_at is not None or CALL_STATUS_RANK.get(call.status, 0) >= 3:
            _commit()
            return Route("hangup", call)
        call.offered_at = call.offered_at or now
        call.updated_at = now
        if not within_operator_hours(now):
            call.queued = False
            _commit()
            return Route("voicemail", call, reason="out_of_hours")
        if not skip_leader and (leader := _claim_leader(call, now)) is not None:
            call.operator_id = leader.id
            _publish_call(call, "ringing", leader=True)
            _commit()
            return Route("dial", call, operator=leader, leader=True)
        operator = _claim_operator(call, now)
        if operator is not None:
            call.operator_id, call.queued = operator.id, False
            _publish_call(call, "ringing")
            _commit()
            return Route("dial", call, operator=operator)
        call.queued = True
        position = queue_position(call)
        if position > current_app.config["MAX_QUEUE_LENGTH"]:
            call.queued = False
            _commit()
            return Route("voicemail", call, reason="long_wait")
        _publish_call(call, "queued")
        _commit()
        return Route("queue", call, position=position)
    except BaseException:
        db.session.rollback()
        raise


def queue_wait(call_sid: str, queue_seconds: int) -> Route:
    """Asked by the hold music loop: stay (with the position), or leave the queue to be routed again
    (an operator is free and this caller is first) or to leave a voice message (the wait is too long)."""
    call = db.session.scalar(select(Call).where(Call.call_sid == call_sid))
    if call is None:
        raise NotFound("no such call")
    if not call.queued or call.offered_at is None:
        return Route("leave", call)
    position = queue_position(call)
    if queue_seconds >= current_app.config["MAX_QUEUE_WAIT_SECONDS"]:
        return Route("leave", call, reason="long_wait")
    free = db.session.scalar(select(func.count()).select_from(OperatorPresence).where(available_now(utcnow())))
    if free and position <= free:
        return Route("leave", call)
    return Route("queue", call, position=position)


def left_queue(call_sid: str, queue_result: str, queue_seconds: int) -> Route:
    """The caller left the hold queue (Enqueue's action): route again, or a voice message after a long wait."""
    try:
        call = _lock_call(call_sid)
        call.queued = False
        db.session.flush()
        if queue_result in ("hangup", "error", "system-error"):
            _commit()
            return Route("hangup", call)
        if queue_seconds >= current_app.config["MAX_QUEUE_WAIT_SECONDS"]:
            _commit()
            return Route("voicemail", call, reason="long_wait")
        _commit()
    except BaseException:
        db.session.rollback()
        raise
    return route_call(call_sid, skip_leader=True)


def dial_finished(call_sid: str, dial_status: str, leader: bool) -> Route:
    """The Dial to an operator (or the leader) ended: done if answered, else release them and route again."""
    try:
        now = utcnow()
        call = _lock_call(call_sid)
        if dial_status in ("completed", "answered") or call.answered_at is not None:
            _commit()
            return Route("hangup", call)
        missed = call.operator_id
        call.operator_id = None
        if missed is not None:
            # An operator who let it ring out is not at the desk: away until they say otherwise. The leader
            # stays on duty for the next call.
            db.session.execute(
                update(OperatorPresence)
                .where(OperatorPresence.user_id == missed, OperatorPresence.current_call_id == call.id)
                .values(status="available" if leader else "away", changed_at=now, current_call_id=None)
            )
        _commit()
    except BaseException:
        db.session.rollback()
        raise
    return route_call(call_sid, skip_leader=True)


# ---- status callbacks -----------------------------------------------------------------------


def _outcome(call: Call) -> str | None:
    if call.ended_at is None and CALL_STATUS_RANK.get(call.status, 0) < 3:
        return None
    if call.answered_at is not None:
        return "answered"
    if call.recording_url:
        return "voicemail"
    if call.direction == "outbound":
        return {"busy": "missed", "no-answer": "no_answer", "failed": "failed"}.get(call.status, "no_answer")
    if call.offered_at is not None:
        return "abandoned"
    return "self_service"


def _recompute(call: Call) -> None:
    start = call.offered_at or call.started_at
    if call.answered_at is not None:
        call.wait_seconds = max(0, round((call.answered_at - start).total_seconds()))
        if call.ended_at is not None:
            call.talk_seconds = max(0, round((call.ended_at - call.answered_at).total_seconds()))
    elif call.ended_at is not None and call.offered_at is not None:
        call.wait_seconds = max(0, round((call.ended_at - call.offered_at).total_seconds()))
    call.outcome = _outcome(call)
    if call.direction == "inbound" and call.outcome in ("abandoned",):
        call.callback_needed = True  # missed calls are called back


def _release_operator(call: Call, now: dt.datetime) -> None:
    db.session.execute(
        update(OperatorPresence)
        .where(OperatorPresence.current_call_id == call.id, OperatorPresence.status == "busy")
        .values(status="available", changed_at=now, current_call_id=None)
    )


def call_status(
    call_sid: str,
    status: str,
    at: dt.datetime | None = None,
    parent_call_sid: str | None = None,
    from_number: str | None = None,
    to_number: str | None = None,
    duration: int | None = None,
    recording_url: str | None = None,
    callback_of: int | None = None,
) -> Call:
    """A status callback for the caller's leg, the operator's leg (ParentCallSid), or an outbound call."""
    now = utcnow()
    at = at or now
    try:
        if parent_call_sid:
            parent = db.session.scalar(select(Call).where(Call.call_sid == parent_call_sid).with_for_update())
            if parent is not None:
                # After a transfer to a supervisor, the first operator's leg ends: not the end of the call.
                # (The softphone identity is `operator-<user id>`, integrations/twilio/twiml.client_identity.)
                left = (to_number or "").startswith("client:operator-") and parent.operator_id is not None
                if left and to_number != f"client:operator-{parent.operator_id}":
                    db.session.rollback()
                    return parent
                return _operator_leg(parent, status, at, now)
        call = db.session.scalar(select(Call).where(Call.call_sid == call_sid).with_for_update())
        if call is None:  # the status callback came before (or without) the voice webhook
            db.session.rollback()
            incoming_call(call_sid, from_number or "", to_number or "", "outbound" if callback_of else "inbound")
            call = _lock_call(call_sid)
            call.started_at = min(call.started_at, at)
            if callback_of and db.session.get(Call, callback_of) is not None:
                call.callback_of_id = callback_of
        was_ended, was_answered = call.ended_at is not None, call.answered_at is not None
        if CALL_STATUS_RANK.get(status, 0) > CALL_STATUS_RANK.get(call.status, 0):
            call.status = status
        if status == "in-progress" and call.direction == "outbound":
            call.answered_at = _earliest(call.answered_at, at)
        if status in TERMINAL:
            end = at
            outbound_done = call.direction == "outbound" and status == "completed"
            if outbound_done and duration is not None and call.answered_at is None:
                # the answer event may never come: the duration tells when the callee picked up
                call.answered_at = end - dt.timedelta(seconds=duration) if duration > 0 else None
            call.ended_at = _earliest(call.ended_at, end)
        if recording_url and not call.recording_url:
            call.recording_url = recording_url
            _fetch_recording_later(call)
        _recompute(call)
        call.updated_at = now
        if call.callback_of_id and call.answered_at is not None:
            original = db.session.get(Call, call.callback_of_id)
            if original is not None:
                original.called_back_at = _earliest(original.called_back_at, call.answered_at)
        if call.ended_at is not None and not was_ended:
            _release_operator(call, now)
            if call.direction == "inbound":
                _publish_call(call, "ended")
        elif call.answered_at is not None and not was_answered and call.direction == "inbound":
            _publish_call(call, "answered")
        _commit()
        return call
    except BaseException:
        db.session.rollback()
        raise


def _operator_leg(call: Call, status: str, at: dt.datetime, now: dt.datetime) -> Call:
    was_answered = call.answered_at is not None
    if status in ("in-progress", "answered"):
        call.answered_at = _earliest(call.answered_at, at)
        call.queued = False
        if CALL_STATUS_RANK.get(call.status, 0) < 2:
            call.status = "in-progress"
    was_ended = call.ended_at is not None
    if status == "completed":
        # Only a connected leg completes (an unanswered one ends busy / no-answer / canceled), so this is the
        # end of the conversation whether or not its answer event has arrived yet.
        call.ended_at = _earliest(call.ended_at, at)
    _recompute(call)
    call.updated_at = now
    if call.answered_at is not None and not was_answered and call.ended_at is None:
        _publish_call(call, "answered")
    if call.ended_at is not None and not was_ended:
        _publish_call(call, "ended")
    if status in TERMINAL:
        _release_operator(call, now)
    _commit()
    return call


# ---- voice messages and the status check ----------------------------------------------------


def voice_message(call_sid: str, recording_url: str | None, transcript: str | None) -> tuple[Call, Ticket, str | None]:
    """留言: the message becomes a ticket in `accepted` with its recording, and the caller goes on the
    call-back list. Once per call: a retried webhook returns the same ticket (and no code)."""
    try:
        call = _lock_call(call_sid)
        if call.ticket_id is not None and call.recording_url:
            ticket = db.session.get(Ticket, call.ticket_id)
            assert ticket is not None
            db.session.rollback()
            return call, ticket, None
        from hotline.validation import normalize_phone

        phone = normalize_phone(call.from_number)
        parts = ["电话留言（来电人录音）。"]
        if transcript:
            parts.append(transcript.strip())
        if recording_url:
            # Not the URL: it is Twilio's, for the server only; staff play it on /agents/calls.
            parts.append("录音已保存，可在来电记录（/agents/calls）中收听。")
        data = IntakeData(
            channel="phone",
            type="help",
            urgency="normal",
            content="\n".join(parts)[:4000],
            caller_phone=phone,
            line=call.line,
        )

        def link(ticket: Ticket, code: str) -> None:
            call.ticket_id = ticket.id
            call.recording_url = recording_url or call.recording_url or "console:text"
            _fetch_recording_later(call)
            call.callback_needed = True
            call.queued = False
            call.updated_at = utcnow()
            _recompute(call)  # the receipt SMS (number + code) is the intake's, as for every channel

        ticket, code = create_ticket(data, None, before_commit=link)
        return call, ticket, code
    except BaseException:
        db.session.rollback()
        raise


MAX_STATUS_CHECK_FAILURES = 3


def status_check(call_sid: str, number: str, code: str) -> tuple[dict | None, bool]:
    """查询: the public status of a ticket by number and retrieval code; (status or None, may try again)."""
    try:
        from hotline.actions.status_lookup import public_status
        from hotline.codeguard import TooManyCodeGuesses

        call = _lock_call(call_sid)
        try:
            result = public_status(number, code)
        except NotFound:
            result = None
            call.status_check_failures += 1
        except TooManyCodeGuesses:  # the number's wrong codes for the hour are used up: as if wrong, no retry
            result = None
            call.status_check_failures = MAX_STATUS_CHECK_FAILURES
        if call.menu_choice is None:
            call.menu_choice = "2"
        call.updated_at = utcnow()
        again = call.status_check_failures < MAX_STATUS_CHECK_FAILURES
        _commit()
        return result, again
    except BaseException:
        db.session.rollback()
        raise


# ---- SMS ------------------------------------------------------------------------------------

_CX = re.compile(r"^\s*CX\s+([A-Za-z]{0,4}\d{6,20})\s+(\d{4,8})\s*$", re.IGNORECASE)


@dataclass
class SmsResult:
    kind: str  # intake | status | opt_out | empty
    duplicate: bool
    reply: dict | None = None  # for status: the public status, or {} when not found
    ticket_id: int | None = None


# A retried webhook (the same MessageSid) inserts nothing and gets no id back (hotline.upsert).
_INSERT_SMS = upsert(
    SmsMessage,
    ("message_sid", "from_number", "to_number", "body", "kind", "received_at"),
    on=("message_sid",),
    returning=("id",),
)


def incoming_sms(message_sid: str, from_number: str, to_number: str, body: str) -> SmsResult:
    """短信: `CX <number> <code>` asks the status, `TD` opts out of texts and survey calls, anything else
    is a request and becomes a ticket (the receipt with number and code goes out through the outbox)."""
    from hotline.actions.status_lookup import public_status
    from hotline.validation import normalize_phone

    text = (body or "").strip()
    m = _CX.match(text)
    kind = "status" if m else "opt_out" if text.upper() in ("TD", "T", "退订") else "intake" if text else "empty"
    try:
        now = utcnow()
        inserted = db.session.execute(
            _INSERT_SMS,
            {
                "message_sid": message_sid,
                "from_number": from_number,
                "to_number": to_number,
                # A status query's retrieval code is never stored in clear.
                "body": (f"CX {m.group(1)} {'*' * len(m.group(2))}" if m else text)[:4000],
                "kind": kind,
                "received_at": now,
            },
        ).scalar()
        duplicate = inserted is None
        phone = normalize_phone(from_number)
        if kind == "status":
            assert m is not None
            number = m.group(1).upper()
            if number.isdigit():
                number = current_app.config["TICKET_PREFIX"] + number
            from hotline.codeguard import TooManyCodeGuesses

            try:
                reply = public_status(number, m.group(2))
            except (NotFound, TooManyCodeGuesses):
                reply = {}
            _commit()
            return SmsResult(kind, duplicate, reply)
        if duplicate or kind == "empty":
            existing = db.session.scalar(select(SmsMessage.ticket_id).where(SmsMessage.message_sid == message_sid))
            _commit()
            return SmsResult(kind, duplicate, ticket_id=existing)
        if kind == "opt_out":
            if phone:
                citizen_notices.mark_do_not_call(phone, now)
            _commit()
            return SmsResult(kind, False)
        if phone is None:
            _commit()
            raise ValidationError("not a phone number we can answer", fields={"From": "not a valid phone number"})
        data = IntakeData(
            channel="sms",
            type="help",
            urgency="normal",
            content=text[:4000],
            caller_phone=phone,
            line=line_for(to_number),
        )

        def link(ticket: Ticket, _code: str) -> None:
            db.session.execute(update(SmsMessage).where(SmsMessage.id == inserted).values(ticket_id=ticket.id))

        ticket, _ = create_ticket(data, None, before_commit=link)
        return SmsResult(kind, False, ticket_id=ticket.id)
    except BaseException:
        db.session.rollback()
        raise


# ---- operators, the call-back list, leader slots --------------------------------------------


def link_call_ticket(call_id: int, ticket_id: int, actor: User) -> Call:
    """A ticket made from a call (the operator's intake during the call) is linked to it."""
    try:
        call = db.session.get(Call, call_id, with_for_update=True)
        if call is None:
            raise NotFound("no such call")
        access.get_ticket(actor, ticket_id)
        if call.ticket_id not in (None, ticket_id):
            raise Conflict("the call is already linked to another ticket")
        call.ticket_id = ticket_id
        call.updated_at = utcnow()
        _commit()
        return call
    except BaseException:
        db.session.rollback()
        raise


def _lock_call_back(call_id: int) -> Call:
    """The inbound call on the call-back list, locked; 404 / 409 otherwise."""
    call = db.session.get(Call, call_id, with_for_update=True)
    if call is None or call.direction != "inbound":
        raise NotFound("no such call")
    if not call.callback_needed:
        raise Conflict("this call is not on the call-back list")
    return call


def request_call_back(call_id: int, actor: User) -> Call:
    """回拨: place the call-back through the outbox; the call's answer marks the missed call called back."""
    from hotline.validation import normalize_phone

    try:
        call = _lock_call_back(call_id)
        if call.called_back_at is not None:
            raise Conflict("already called back")
        phone = normalize_phone(call.from_number)
        if phone is None:
            raise Conflict("the caller's number is withheld or invalid")
        base = current_app.config["PUBLIC_URL"]
        outbox.add_job(
            "hotline.tasks.notify.place_call",
            [
                phone,
                f"{base}/integrations/twilio/voice/call-back?operator={actor.id}",
                f"{base}/integrations/twilio/voice/status?callback_of={call.id}",
                call.ticket_id,
                "callback",
            ],
        )
        _commit()
        return call
    except BaseException:
        db.session.rollback()
        raise


def mark_called_back(call_id: int, actor: User) -> Call:
    """The operator called the citizen back from a desk phone: record it (first time wins)."""
    try:
        call = _lock_call_back(call_id)
        call.called_back_at = call.called_back_at or utcnow()
        _commit()
        return call
    except BaseException:
        db.session.rollback()
        raise


def add_leader_slot(
    user_id: int, starts_at: dt.datetime, ends_at: dt.datetime, note: str | None, actor: User
) -> LeaderSlot:
    leader = db.session.get(User, user_id)
    if leader is None or leader.role not in ("leader", "supervisor", "admin") or not leader.active:
        raise ValidationError("not a leader", fields={"user": "must be an active leader"})
    if ends_at <= starts_at:
        raise ValidationError("the slot ends before it starts", fields={"ends_at": "must be after starts_at"})
    clash = db.session.scalar(
        select(LeaderSlot.id).where(LeaderSlot.starts_at < ends_at, LeaderSlot.ends_at > starts_at)
    )
    if clash:
        raise Conflict("another leader slot overlaps this one")
    slot = LeaderSlot(user_id=user_id, starts_at=starts_at, ends_at=ends_at, note=note, created_by_id=actor.id)
    db.session.add(slot)
    _commit()
    return slot


def remove_leader_slot(slot_id: int) -> None:
    try:
        slot = db.session.get(LeaderSlot, slot_id)
        if slot is None:
            raise NotFound("no such leader slot")
        db.session.delete(slot)
        _commit()
    except BaseException:
        db.session.rollback()
        raise


def console_leg(call_id: int, actor: User, status: str) -> Call:
    """The console provider's softphone: the operator's leg of a call answered (`in-progress`) or hung up
    (`completed`), recorded exactly as Twilio's status callback for that leg would be. Only the person the
    call rings at may answer it."""
    call = db.session.get(Call, call_id)
    if call is None or call.direction != "inbound":
        raise NotFound("no such call")
    if call.operator_id != actor.id:
        raise Conflict("this call is not ringing at you")
    if status == "in-progress" and call.ended_at is not None:
        raise Conflict("the caller has hung up")
    db.session.rollback()
    return call_status("CL" + call.call_sid[2:], status, parent_call_sid=call.call_sid)


def _fetch_recording_later(call: Call) -> None:
    """The worker fetches the message's audio from Twilio (hotline.tasks.calls), so staff play it through us."""
    if (call.recording_url or "").startswith("https://"):
        outbox.add_job("hotline.tasks.calls.fetch_recording", [call.id])


def ticket_from_call(call_id: int, data: IntakeData, actor: User) -> tuple[Ticket, str]:
    """The intake form during (or after) a call: the ticket is created and linked to the call in one transaction.
    A leader on duty (领导接听) records tickets only for the calls routed to them; a call gets one ticket."""
    call = db.session.get(Call, call_id)
    if call is None:
        raise NotFound("no such call")
    if actor.role == "leader" and call.operator_id != actor.id:
        raise Forbidden("this call was not routed to you")
    if call.ticket_id is not None:
        raise Conflict("this call already has a ticket")
    db.session.rollback()

    def link(ticket: Ticket, _code: str) -> None:
        linked = db.session.execute(
            update(Call)
            .where(Call.id == call_id, Call.ticket_id.is_(None))
            .values(ticket_id=ticket.id, updated_at=utcnow())
        )
        if linked.rowcount != 1:  # another ticket was linked meanwhile: this one is not created
            raise Conflict("this call already has a ticket")

    return create_ticket(data, actor, before_commit=link)


def transfer_call(call_id: int, actor: User, department_code: str | None = None, to_supervisor: bool = False) -> Call:
    """转接: the operator hands a call in progress to a department's hotline number (its liaison phone) or to the
    longest-idle available supervisor (whose console then rings). A worker redirects the caller's leg to the
    transfer TwiML through the telephony provider; the operator is free at once."""
    try:
        now = utcnow()
        call = db.session.get(Call, call_id, with_for_update=True)
        if call is None or call.direction != "inbound":
            raise NotFound("no such call")
        if call.operator_id != actor.id:
            raise Conflict("this call is not yours to transfer")
        if call.answered_at is None or call.ended_at is not None:
            raise Conflict("only a call in progress can be transferred")
        target = current_app.config["PUBLIC_URL"] + "/integrations/twilio/voice/transfer"
        if department_code is not None:
            dept = db.session.scalar(
                select(Department).where(Department.code == department_code, Department.active.is_(True))
            )
            if dept is None:
                raise ValidationError("unknown department", fields={"department": "unknown department"})
            if not dept.liaison_phone:
                raise Conflict("the department has no hotline number to transfer to")
            target += f"?department={dept.code}"
            _release_operator(call, now)
            _publish_call(call, "transferred")  # the operator is free: the wallboards recount
        elif to_supervisor:
            claimed = db.session.scalar(
                select(OperatorPresence)
                .join(User, User.id == OperatorPresence.user_id)
                .where(available_now(now), User.role == "supervisor", User.active.is_(True), User.id != actor.id)
                .order_by(OperatorPresence.changed_at)
                .limit(1)
                .with_for_update(skip_locked=True, of=OperatorPresence)
            )
            if claimed is None:
                raise Conflict("no supervisor is available")
            _release_operator(call, now)
            claimed.status, claimed.changed_at, claimed.current_call_id = "busy", now, call.id
            claimed.after_call_until = None
            call.operator_id = claimed.user_id
            target += f"?user={claimed.user_id}"
            _publish_call(call, "ringing")
        else:
            raise ValidationError("say where to", fields={"department": "a department code, or supervisor: true"})
        call.updated_at = now
        outbox.add_job("hotline.tasks.calls.redirect_call", [call.call_sid, target])
        _commit()
        return call
    except BaseException:
        db.session.rollback()
        raise
