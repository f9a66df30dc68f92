"""The centre's work queues (supervisors and admins)."""

from __future__ import annotations

from flask import g, jsonify
from sqlalchemy import select

from hotline.api import bp
from hotline.api.auth import login_required
from hotline.api.serialize import iso, tickets_to_dicts
from hotline.extensions import db
from hotline.models import ExtensionRequest, ReturnRequest, Ticket
from hotline.workflow import OPEN, Status

QUEUE_LIMIT = 200


def _tickets(query) -> list[dict]:
    return tickets_to_dicts(list(db.session.scalars(query.order_by(Ticket.id).limit(QUEUE_LIMIT))), g.user)


@bp.get("/queues/supervisor")
@login_required(("supervisor", "admin", "leader"))
def supervisor_queues():
    """What waits for the centre: returns, extensions, replies to review, dissatisfied callbacks,
    and overdue tickets escalated by the deadline workers."""
    pending_ext = select(ExtensionRequest.ticket_id).where(ExtensionRequest.status == "pending")
    return jsonify(
        {
            "returns": _tickets(select(Ticket).where(Ticket.status == Status.RETURN_PENDING.value)),
            "extensions": _tickets(select(Ticket).where(Ticket.id.in_(pending_ext))),
            "replies": _tickets(select(Ticket).where(Ticket.status == Status.REPLY_REVIEW.value)),
            "dissatisfied": _tickets(
                select(Ticket).where(Ticket.status == Status.CALLBACK_PENDING.value, Ticket.callback_satisfaction == 3)
            ),
            "escalated": _tickets(
                select(Ticket).where(Ticket.escalated_at.is_not(None), Ticket.status.in_([s.value for s in OPEN]))
            ),
            "pending_returns": [
                {"ticket_id": r.ticket_id, "reason": r.reason, "note": r.note, "requested_at": iso(r.requested_at)}
                for r in db.session.scalars(
                    select(ReturnRequest).where(ReturnRequest.status == "pending").limit(QUEUE_LIMIT)
                )
            ],
        }
    )
