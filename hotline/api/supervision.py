"""The centre's work queues (supervisors and admins)."""

from __future__ import annotations

from flask import g, jsonify
from sqlalchemy import select

from hotline.api import bp
from hotline.api.auth import login_required
from hotline.api.serialize import iso, tickets_to_dicts
from hotline.errors import NotFound
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


def _queue_queries() -> dict:
    """Every queue the centre works, as a query of tickets (each listed oldest first)."""
    pending_ext = select(ExtensionRequest.ticket_id).where(ExtensionRequest.status == "pending")
    return {
        "returns": select(Ticket).where(Ticket.status == Status.RETURN_PENDING.value),
        "extensions": select(Ticket).where(Ticket.id.in_(pending_ext), Ticket.status == Status.IN_PROGRESS.value),
        "replies": select(Ticket).where(Ticket.status == Status.REPLY_REVIEW.value),
        "dissatisfied": select(Ticket).where(
            Ticket.status == Status.CALLBACK_PENDING.value, Ticket.callback_satisfaction == 3
        ),
        "callbacks": select(Ticket).where(
            Ticket.status == Status.CALLBACK_PENDING.value,
            (Ticket.callback_satisfaction.is_(None)) | (Ticket.callback_satisfaction != 3),
        ),
        "escalated": select(Ticket).where(Ticket.escalated_at.is_not(None), Ticket.status.in_([s.value for s in OPEN])),
    }


QUEUES = ("returns", "extensions", "replies", "dissatisfied", "callbacks", "escalated")


@bp.get("/queues/<name>")
@login_required(("supervisor", "admin", "leader"))
def queue_page(name: str):
    """One queue, paged (20 a page, at most 100), oldest first: nothing is silently cut off."""
    from sqlalchemy import func

    from hotline.api.tickets import _int_arg

    queries = _queue_queries()
    if name not in queries:
        raise NotFound(f"no queue {name!r}", code="unknown_queue")
    page = _int_arg("page", 1, 1, 100_000)
    per_page = _int_arg("per_page", 20, 1, 100)
    query = queries[name]
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = list(db.session.scalars(query.order_by(Ticket.id).limit(per_page).offset((page - 1) * per_page)))
    items = tickets_to_dicts(rows, g.user)
    if name == "returns":
        reasons = {
            r.ticket_id: r
            for r in db.session.scalars(
                select(ReturnRequest).where(
                    ReturnRequest.status == "pending", ReturnRequest.ticket_id.in_([t.id for t in rows])
                )
            )
        }
        for item in items:
            r = reasons.get(item["id"])
            item["return"] = {"reason": r.reason, "note": r.note} if r else None
    return jsonify({"queue": name, "items": items, "page": page, "per_page": per_page, "total": total})


@bp.get("/queues")
@login_required(("supervisor", "admin", "leader"))
def queue_counts():
    """Every queue's full count (one statement, counted by the database, never a capped list) and its first
    `per_page` tickets (default 10, at most 50), oldest first: the wallboard's cards."""
    from sqlalchemy import func

    from hotline.api.tickets import _int_arg

    per_page = _int_arg("per_page", 10, 0, 50)
    queries = _queue_queries()
    counts = db.session.execute(
        select(*(select(func.count()).select_from(q.subquery()).scalar_subquery().label(n) for n, q in queries.items()))
    ).one()
    out = {}
    for name, query in queries.items():
        total = getattr(counts, name)
        rows = list(db.session.scalars(query.order_by(Ticket.id).limit(per_page))) if per_page and total else []
        out[name] = {"total": total, "items": tickets_to_dicts(rows, g.user)}
    return jsonify(out)
