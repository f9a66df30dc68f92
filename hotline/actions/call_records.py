"""What staff do with call records after the IVR: link a ticket to a call or create one from it, the call-back
list (回拨: missed calls and voice messages called back), and the leaders' answering slots (领导接听).
"""

from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import select, update

from hotline import access, outbox
from hotline.actions.calls import _commit
from hotline.actions.intake import IntakeData, create_ticket
from hotline.errors import Conflict, Forbidden, NotFound, ValidationError
from hotline.extensions import db
from hotline.models import Call, LeaderSlot, Ticket, User
from hotline.models.base import utcnow


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
        if linked.rowcount != 1:  # type: ignore[attr-defined]  # a DML result (CursorResult)  # another ticket was linked meanwhile: this one is not created
            raise Conflict("this call already has a ticket")

    return create_ticket(data, actor, before_commit=link)
