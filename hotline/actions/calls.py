"""The call centre's actions (来电): the call record, the IVR's decisions, the operator queue, the status
callbacks, the console softphone's legs and transfers. Twilio's webhooks (and the console simulator) call these
and render the answer as TwiML; nothing here knows about Twilio. Voice messages and the IVR's status check are in
hotline.actions.voice_messages, SMS in hotline.actions.sms_intake, the call-back list and leader slots in
hotline.actions.call_records.

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

from hotline import outbox
from hotline.actions.presence import available_now, effective_status
from hotline.deadlines.calendar import TZ
from hotline.errors import Conflict, NotFound
from hotline.extensions import db
from hotline.fastpath import autocommit_engine
from hotline.models import (
    Call,
    Caller,
    HotlineLine,
    LeaderSlot,
    OperatorPresence,
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
        "held": call.held_at is not None,
        "consult_target": call.consult_target,
        "caller": {"name": caller_name, "recent_tickets": _recent_tickets(call.from_number) if op == "ringing" else []},
    }


def _publish_call(call: Call, op: str, leader: bool = False) -> None:
    if not outbox.writes("socket"):
        return  # a replayed past (the screen pop's look-ups are skipped with the event)
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
    if status in TERMINAL and (call.held_at is not None or call.consult_target is not None):
        # Hold and warm transfer move the caller's leg away from the Dial, which ends the operator's leg: the
        # call goes on (hotline.actions.call_control).
        db.session.rollback()
        return call
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


# ---- the console softphone and transfers ---------------------------------------------------


def console_leg(call_id: int, actor: User, status: str) -> Call:
    """The console provider's softphone: the operator's leg of a call answered (`in-progress`) or hung up
    (`completed`), recorded exactly as Twilio's status callback for that leg would be. Only the person the
    call rings at may answer it."""
    call = db.session.get(Call, call_id, with_for_update=True)
    if call is None or call.direction != "inbound":
        raise NotFound("no such call")
    if call.consult_target == f"user:{actor.id}" and call.ended_at is None:
        # The supervisor brought into a warm transfer answers: the call record is the operator's until the
        # transfer is completed; the consoles hear that the supervisor is on the line.
        if status == "in-progress":
            _publish_call(call, "consult-answered")
        _commit()
        return call
    if call.operator_id != actor.id:
        raise Conflict("this call is not ringing at you")
    if status == "in-progress" and call.ended_at is not None:
        raise Conflict("the caller has hung up")
    if status == "completed" and (call.held_at is not None or call.consult_target is not None):
        # Hanging up on a held call (or during a consultation) ends it: nothing of it is left to come back to.
        call.held_at = call.consult_target = None
    db.session.commit()
    return call_status("CL" + call.call_sid[2:], status, parent_call_sid=call.call_sid)


def _fetch_recording_later(call: Call) -> None:
    """The worker fetches the message's audio from Twilio (hotline.tasks.calls), so staff play it through us."""
    if (call.recording_url or "").startswith("https://"):
        outbox.add_job("hotline.tasks.calls.fetch_recording", [call.id])
