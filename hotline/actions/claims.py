"""认领: who is working on which ticket of the intake inbox (待派单), so two operators do not handle one message.

A claim lasts CLAIM_IDLE from the holder's last move (claiming again, or any action on the ticket while it
waits in `accepted`), then lapses by itself: nobody has to release a claim for it to end. While it holds,
other operators' intake outcomes on that ticket answer 409; supervisors may still act.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from hotline import access, outbox
from hotline.actions._core import CLAIM_IDLE
from hotline.errors import Conflict, Forbidden
from hotline.extensions import db
from hotline.models import Ticket, TicketClaim, User
from hotline.models.base import utcnow
from hotline.workflow import SUPERVISORS, Status

__all__ = ["CLAIM_IDLE", "claim_ticket", "live_claims", "release_claim"]

ROOMS = ["operators", "supervisors"]


def claim_event(ticket: Ticket, op: str, holder: str | None, until: dt.datetime | None) -> dict:
    return {
        "type": "ticket",
        "op": op,  # claimed | released
        "id": ticket.id,
        "number": ticket.number,
        "status": ticket.status,
        "claimed_by": holder,
        "claimed_until": until.isoformat() if until else None,
        "updated_at": ticket.updated_at.isoformat() if ticket.updated_at else None,
    }


def _holder(claim: TicketClaim) -> str:
    user = db.session.get(User, claim.user_id)
    return user.label if user else "?"


def claim_ticket(ticket_id: int, actor: User, now: dt.datetime | None = None) -> dict:
    """Take (or renew) the claim on an `accepted` ticket; 409 when another operator holds it."""
    now = now or utcnow()
    try:
        ticket = access.get_ticket(actor, ticket_id, lock=True)
        if ticket.status != Status.ACCEPTED:
            raise Conflict("only a ticket waiting for dispatch can be claimed", code="not_waiting")
        claim = db.session.get(TicketClaim, ticket.id)
        if claim is not None and claim.user_id != actor.id and claim.expires_at > now:
            raise Conflict(f"{_holder(claim)} is working on this ticket", code="claimed")
        if claim is None:
            claim = TicketClaim(ticket_id=ticket.id, user_id=actor.id, claimed_at=now, expires_at=now)
            db.session.add(claim)
        elif claim.user_id != actor.id:
            claim.user_id, claim.claimed_at = actor.id, now
        claim.expires_at = now + CLAIM_IDLE
        result = {"ticket": ticket.id, "claimed_by": actor.label, "claimed_until": claim.expires_at}
        outbox.add(outbox.socket_row(claim_event(ticket, "claimed", actor.label, claim.expires_at), ROOMS))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    outbox.kick()
    return result


def release_claim(ticket_id: int, actor: User) -> None:
    """Give a ticket back to the inbox (its holder, or a supervisor)."""
    try:
        ticket = access.get_ticket(actor, ticket_id, lock=True)
        claim = db.session.get(TicketClaim, ticket.id)
        if claim is not None:
            if claim.user_id != actor.id and actor.role not in SUPERVISORS and claim.expires_at > utcnow():
                raise Forbidden("another operator holds this claim", code="claimed")
            db.session.delete(claim)
            outbox.add(outbox.socket_row(claim_event(ticket, "released", None, None), ROOMS))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    outbox.kick()


def live_claims(ticket_ids: list[int], now: dt.datetime | None = None) -> dict[int, dict]:
    """ticket id -> {claimed_by, claimed_by_name, claimed_until, user_id} for the live claims among `ticket_ids`."""
    if not ticket_ids:
        return {}
    now = now or utcnow()
    rows = db.session.execute(
        select(TicketClaim.ticket_id, TicketClaim.user_id, TicketClaim.expires_at, User.username, User.display_name)
        .join(User, User.id == TicketClaim.user_id)
        .where(TicketClaim.ticket_id.in_(ticket_ids), TicketClaim.expires_at > now)
    ).all()
    return {
        r.ticket_id: {
            "claimed_by": r.username,
            "claimed_by_name": r.display_name,
            "claimed_until": r.expires_at,
            "user_id": r.user_id,
        }
        for r in rows
    }
