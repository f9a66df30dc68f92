"""The softphone's controls on a live call: hold and resume (保持/恢复), blind transfer (转接) and warm transfer
(咨询转接: bring a supervisor or a department's hotline number into the call, talk, then leave the caller with
them or take the caller back). Each changes the call record here and asks a worker (through the outbox) to move
the caller's leg through the telephony provider; nothing here waits on Twilio.

How the legs move (Twilio; the console provider records the same steps):
- hold: the caller's leg is redirected into the call's conference alone, where the hold music plays; the
  operator's leg that the redirect ends is not the end of the call (`held_at` says so).
- resume: the caller's leg is redirected to TwiML that dials the operator again (the softphone, or their phone).
- warm transfer: the caller's leg is redirected into the call's conference and the person consulted is called
  into it (label `consult`); the operator's softphone joins it too (label `operator`). Completing it makes the
  consulted party's leaving end the conference and the operator leaves; taking the caller back hangs up the
  consulted party and makes the operator's leaving end the conference.
A transfer (blind or warm) is recorded on the call and, when the call has a ticket, on the ticket's timeline.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from hotline import outbox
from hotline.actions._core import ticket_action
from hotline.actions.calls import _commit, _publish_call, _release_operator
from hotline.actions.presence import available_now
from hotline.errors import Conflict, Forbidden, NotFound, ValidationError
from hotline.extensions import db
from hotline.models import Call, Department, OperatorPresence, User
from hotline.models.base import utcnow

WEBHOOKS = "/integrations/twilio"


def conference_name(call: Call) -> str:
    """The call's own conference (hold and warm transfer), named after the call record."""
    return f"call-{call.id}"


def _url(path: str) -> str:
    return current_app.config["PUBLIC_URL"] + WEBHOOKS + path


def _own_live_call(call_id: int, actor: User) -> Call:
    """The actor's call in progress, locked; 404 / 409 otherwise."""
    call = db.session.get(Call, call_id, with_for_update=True)
    if call is None or call.direction != "inbound":
        raise NotFound("no such call")
    if call.operator_id != actor.id:
        raise Conflict("this call is not yours")
    if call.answered_at is None or call.ended_at is not None:
        raise Conflict("the call is not in progress")
    return call


def _department(code: str) -> Department:
    dept = db.session.scalar(select(Department).where(Department.code == code, Department.active.is_(True)))
    if dept is None:
        raise ValidationError("unknown department", fields={"department": "unknown department"})
    if not dept.liaison_phone:
        raise Conflict("the department has no hotline number to transfer to")
    return dept


def _claim_supervisor(call: Call, actor: User, now: dt.datetime) -> OperatorPresence:
    """The longest-idle available supervisor, made busy with this call."""
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
    claimed.status, claimed.changed_at, claimed.current_call_id = "busy", now, call.id
    claimed.after_call_until = None
    return claimed


def _target_label(target: str) -> str:
    kind, _sep, key = target.partition(":")
    if kind == "department":
        name = db.session.scalar(select(Department.name).where(Department.code == key))
        return f"{name or key} ({key})"
    user = db.session.get(User, int(key)) if key.isdigit() else None
    return user.label if user is not None else target


def _record_transfer(call: Call, actor: User, kind: str, target: str, now: dt.datetime) -> None:
    """On the call, and on its ticket's timeline when it has one; commits."""
    call.transfer_kind, call.transferred_to, call.transferred_at = kind, target, now
    call.updated_at = now
    if call.ticket_id is None:
        _commit()
        return
    with force_locale("zh_Hans_CN"):
        note = (
            _("Call transferred after consulting %(to)s.", to=_target_label(target))
            if kind == "warm"
            else _("Call transferred to %(to)s.", to=_target_label(target))
        )
    with ticket_action(call.ticket_id, "call-transfer", actor, now=now) as ctx:
        ctx.event(note=note, data={"call_id": call.id, "kind": kind, "to": target}, department=None)


# ---- hold and resume -----------------------------------------------------------------------------


def hold_call(call_id: int, actor: User) -> Call:
    """保持: the caller hears the hold music; the operator stays on the call (busy)."""
    try:
        now = utcnow()
        call = _own_live_call(call_id, actor)
        if call.held_at is not None or call.consult_target is not None:
            raise Conflict("the call is already on hold")
        call.held_at, call.updated_at = now, now
        outbox.add_job(
            "hotline.tasks.calls.redirect_call", [call.call_sid, _url(f"/voice/conference?call={call.id}&hold=1")]
        )
        _publish_call(call, "held")
        _commit()
        return call
    except BaseException:
        db.session.rollback()
        raise


def resume_call(call_id: int, actor: User) -> Call:
    """恢复: the caller's leg dials the operator again (the console answers it by itself)."""
    try:
        call = _own_live_call(call_id, actor)
        if call.held_at is None or call.consult_target is not None:
            raise Conflict("the call is not on hold")
        call.held_at, call.updated_at = None, utcnow()
        outbox.add_job("hotline.tasks.calls.redirect_call", [call.call_sid, _url(f"/voice/resume?call={call.id}")])
        _publish_call(call, "resumed")
        _commit()
        return call
    except BaseException:
        db.session.rollback()
        raise


# ---- blind transfer --------------------------------------------------------------------------------


def transfer_call(call_id: int, actor: User, department_code: str | None = None, to_supervisor: bool = False) -> Call:
    """转接: the operator hands a call in progress to a department's hotline number (its liaison phone) or to the
    longest-idle available supervisor (whose console then rings). A worker redirects the caller's leg to the
    transfer TwiML through the telephony provider; the operator is free at once."""
    try:
        now = utcnow()
        call = _own_live_call(call_id, actor)
        if call.consult_target is not None:
            raise Conflict("finish the consultation first")
        target_url = _url("/voice/transfer")
        if department_code is not None:
            dept = _department(department_code)
            target, target_url = f"department:{dept.code}", target_url + f"?department={dept.code}"
            _release_operator(call, now)
            _publish_call(call, "transferred")  # the operator is free: the wallboards recount
        elif to_supervisor:
            _release_operator(call, now)  # first: the supervisor claimed next is busy with the same call
            claimed = _claim_supervisor(call, actor, now)
            call.operator_id = claimed.user_id
            target, target_url = f"user:{claimed.user_id}", target_url + f"?user={claimed.user_id}"
            _publish_call(call, "ringing")
        else:
            raise ValidationError("say where to", fields={"department": "a department code, or supervisor: true"})
        call.held_at = None
        outbox.add_job("hotline.tasks.calls.redirect_call", [call.call_sid, target_url])
        _record_transfer(call, actor, "blind", target, now)
        return call
    except BaseException:
        db.session.rollback()
        raise


# ---- warm transfer ---------------------------------------------------------------------------------


def start_consult(call_id: int, actor: User, department_code: str | None = None, to_supervisor: bool = False) -> Call:
    """咨询转接, first step: the caller and the person consulted are brought into the call's conference, and the
    operator's console joins it. A supervisor is made busy with the call at once (their console rings)."""
    from integrations.twilio.twiml import client_identity  # the identity the softphone registers as

    try:
        now = utcnow()
        call = _own_live_call(call_id, actor)
        if call.consult_target is not None:
            raise Conflict("a consultation is already in progress")
        if department_code is not None:
            dept = _department(department_code)
            target, to = f"department:{dept.code}", dept.liaison_phone or ""
        elif to_supervisor:
            claimed = _claim_supervisor(call, actor, now)
            target, to = f"user:{claimed.user_id}", f"client:{client_identity(claimed.user_id)}"
            supervisor = db.session.get(User, claimed.user_id)
            if supervisor is not None and supervisor.phone:
                from integrations.twilio.twiml import rings_softphone

                if not rings_softphone(supervisor):
                    to = supervisor.phone
        else:
            raise ValidationError(
                "say whom to consult", fields={"department": "a department code, or supervisor: true"}
            )
        call.consult_target, call.held_at, call.updated_at = target, now, now
        outbox.add_job(
            "hotline.tasks.calls.start_consult",
            [call.call_sid, _url(f"/voice/conference?call={call.id}"), conference_name(call), to],
        )
        _publish_call(call, "consulting")
        _commit()
        return call
    except BaseException:
        db.session.rollback()
        raise


def complete_consult(call_id: int, actor: User) -> Call:
    """咨询转接, done: the operator leaves the caller with the person consulted. A supervisor now holds the call;
    a department's hotline holds it outside the centre. The operator is free."""
    try:
        now = utcnow()
        call = _own_live_call(call_id, actor)
        target = call.consult_target
        if target is None:
            raise Conflict("no consultation is in progress")
        db.session.execute(
            update(OperatorPresence)
            .where(OperatorPresence.user_id == actor.id, OperatorPresence.current_call_id == call.id)
            .values(status="available", changed_at=now, current_call_id=None)
        )
        if target.startswith("user:"):
            call.operator_id = int(target.split(":", 1)[1])
        call.consult_target, call.held_at = None, None
        outbox.add_job("hotline.tasks.calls.finish_consult", [conference_name(call), "complete"])
        _publish_call(call, "transferred")
        _record_transfer(call, actor, "warm", target, now)
        return call
    except BaseException:
        db.session.rollback()
        raise


def cancel_consult(call_id: int, actor: User) -> Call:
    """咨询转接, called off: the person consulted leaves (a supervisor is free again) and the operator keeps the
    caller, talking in the call's conference."""
    try:
        now = utcnow()
        call = _own_live_call(call_id, actor)
        target = call.consult_target
        if target is None:
            raise Conflict("no consultation is in progress")
        if target.startswith("user:"):
            db.session.execute(
                update(OperatorPresence)
                .where(
                    OperatorPresence.user_id == int(target.split(":", 1)[1]),
                    OperatorPresence.current_call_id == call.id,
                )
                .values(status="available", changed_at=now, current_call_id=None)
            )
        call.consult_target, call.held_at, call.updated_at = None, None, now
        outbox.add_job("hotline.tasks.calls.finish_consult", [conference_name(call), "cancel"])
        _publish_call(call, "taken-back")
        _commit()
        return call
    except BaseException:
        db.session.rollback()
        raise


# ---- outbound calls from the softphone ----------------------------------------------------------------

TAKES_CALLS = ("operator", "supervisor", "leader", "admin")
DIAL_STATUS = {"completed": "completed", "answered": "completed", "busy": "busy", "no-answer": "no-answer"}


class NotStaff(Forbidden):
    code = "not_staff"


def staff_caller(user_id: int) -> User:
    """Only an active member of the centre's staff may call out through the softphone."""
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.role not in TAKES_CALLS:
        raise NotStaff("this identity may not place calls")
    return user


def outgoing_call(
    call_sid: str, user: User, number: str, callback_of: int | None, ticket_id: int | None = None
) -> Call:
    """外呼: the softphone's call to a citizen (a call-back of a missed call, or a callback survey by hand about
    `ticket_id`), recorded once per CallSid; the Dial's action reports how it ended (outgoing_finished)."""
    from hotline.models import Ticket

    try:
        now = utcnow()
        call = db.session.scalar(select(Call).where(Call.call_sid == call_sid).with_for_update())
        if call is None:
            original = db.session.get(Call, callback_of) if callback_of else None
            call = Call(
                call_sid=call_sid,
                direction="outbound",
                from_number=current_app.config.get("TWILIO_FROM_NUMBER") or "12345",
                to_number=number,
                status="ringing",
                operator_id=user.id,
                callback_of_id=original.id if original is not None else None,
                ticket_id=original.ticket_id if original is not None else None,
                started_at=now,
                updated_at=now,
                queued=False,
                callback_needed=False,
                status_check_failures=0,
            )
            if ticket_id is not None and db.session.get(Ticket, ticket_id) is not None:
                call.ticket_id = ticket_id
            db.session.add(call)
        _commit()
        return call
    except BaseException:
        db.session.rollback()
        raise


def outgoing_finished(call_sid: str, dial_status: str, duration: int | None) -> Call:
    """The softphone's outbound call ended: answered (talk time from the Dial's duration) or not; an answered
    call-back marks the missed call called back."""
    from hotline.actions.calls import _recompute

    try:
        now = utcnow()
        call = db.session.scalar(select(Call).where(Call.call_sid == call_sid).with_for_update())
        if call is None or call.direction != "outbound":
            raise NotFound("no such call")
        if call.ended_at is None:
            call.status = DIAL_STATUS.get(dial_status, "failed" if dial_status == "failed" else "canceled")
            call.ended_at = now
            if call.status == "completed" and duration:
                call.answered_at = now - dt.timedelta(seconds=duration)
            _recompute(call)
            call.updated_at = now
            if call.callback_of_id and call.answered_at is not None:
                original = db.session.get(Call, call.callback_of_id)
                if original is not None:
                    original.called_back_at = original.called_back_at or call.answered_at
        outbox.add_socket_event(
            {"type": "call", "op": "outbound-ended", "id": call.id, "outcome": call.outcome},
            ["operators", "supervisors"],
        )
        _commit()
        return call
    except BaseException:
        db.session.rollback()
        raise


def console_outbound_leg(call_id: int, actor: User, status: str) -> Call:
    """The console provider's softphone calling out: the console says when the citizen picks up (`in-progress`,
    the simulator's stand-in for the far end answering) and when the call ends (`completed`); the result is
    recorded as the Dial's action would record it with Twilio."""
    try:
        call = db.session.get(Call, call_id, with_for_update=True)
        if call is None or call.direction != "outbound" or call.operator_id != actor.id:
            raise NotFound("no such call")
        if call.ended_at is not None:
            raise Conflict("the call has ended")
        if status == "in-progress":
            call.answered_at = call.answered_at or utcnow()
            call.status = "in-progress"
            _commit()
            return call
        answered = call.answered_at
        sid = call.call_sid
        db.session.rollback()
    except BaseException:
        db.session.rollback()
        raise
    duration = max(1, round((utcnow() - answered).total_seconds())) if answered else None
    return outgoing_finished(sid, "completed" if answered else "no-answer", duration)
