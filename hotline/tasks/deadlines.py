"""Deadline jobs: scheduled at each warning and due instant, plus the periodic sweep."""

from __future__ import annotations

from sqlalchemy import and_, or_, select

from hotline.actions.deadlines import check_deadlines
from hotline.extensions import db
from hotline.models import Ticket
from hotline.models.base import utcnow
from hotline.tasks import job
from hotline.workflow import AWAITING_SIGNATURE, Status


@job(queue="high", timeout=30)
def check_ticket(ticket_id: int) -> list[str]:
    """Runs at a planned instant (maybe late, maybe twice): re-checks the ticket itself."""
    return check_deadlines(ticket_id)


@job(queue="high", timeout=300)
def sweep(limit: int = 5000) -> int:
    """Catch what a lost job missed: tickets whose planned instant passed without a mark."""
    now = utcnow()
    awaiting = [s.value for s in AWAITING_SIGNATURE]
    due = or_(
        and_(Ticket.status.in_(awaiting), Ticket.sign_warned_at.is_(None), Ticket.sign_warn_at <= now),
        and_(Ticket.status.in_(awaiting), Ticket.sign_overdue_at.is_(None), Ticket.sign_due_at <= now),
        and_(Ticket.status == Status.IN_PROGRESS.value, Ticket.warned_at.is_(None), Ticket.warn_at <= now),
        and_(Ticket.status == Status.IN_PROGRESS.value, Ticket.overdue_at.is_(None), Ticket.due_at <= now),
    )
    ids = list(db.session.scalars(select(Ticket.id).where(due, Ticket.paused_at.is_(None)).limit(limit)))
    db.session.rollback()
    for ticket_id in ids:
        check_deadlines(ticket_id, now)
    return len(ids)
