"""Reads of a caller's personal data (DOMAIN.md "Privacy"): who may read it, and the log of every
read by department staff (who, when, which ticket) that supervisors review."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hotline import access
from hotline.errors import Forbidden
from hotline.extensions import db
from hotline.models import Caller, ContactRead, Department, Ticket, User
from hotline.models.base import utcnow
from hotline.reports.periods import Period
from hotline.workflow import WITH_DEPARTMENT, Status

# The lead department handles the ticket from dispatch until its reply is reviewed.
HANDLING = frozenset(WITH_DEPARTMENT | {Status.RETURN_PENDING, Status.REPLY_REVIEW})


def read_contact(user: User, ticket_id: int, ip: str | None = None) -> dict[str, Any]:
    """The unmasked contact for the centre, and for the lead department while it handles the ticket
    (each such read is logged and committed before the data is returned)."""
    ticket = access.get_ticket(user, ticket_id)  # 404 for what the user may not see
    if user.role not in access.CENTRE_READERS:
        if access.department_role(user, ticket.id) not in ("lead", "sub") or ticket.status not in HANDLING:
            raise Forbidden("only the lead department may read the contact while it handles the ticket")
        db.session.add(
            ContactRead(
                ticket_id=ticket.id,
                user_id=user.id,
                department_id=user.department_id,
                at=utcnow(),
                ip=(ip or "")[:64] or None,
            )
        )
        db.session.commit()
    caller = db.session.get(Caller, ticket.caller_id) if ticket.caller_id else None
    return {
        "ticket_id": ticket.id,
        "number": ticket.number,
        "caller_phone": caller.phone if caller else None,
        "caller_name": caller.name if caller else None,
    }


def reads(
    period: Period | None = None, department: Department | None = None, ticket_id: int | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    from hotline.models.base import iso

    q = (
        select(ContactRead, User.username, User.display_name, Department.code, Department.name, Ticket.number)
        .join(User, User.id == ContactRead.user_id)
        .join(Ticket, Ticket.id == ContactRead.ticket_id)
        .outerjoin(Department, Department.id == ContactRead.department_id)
        .order_by(ContactRead.at.desc(), ContactRead.id.desc())
        .limit(limit)
    )
    if period is not None:
        q = q.where(ContactRead.at >= period.start, ContactRead.at < period.end)
    if department is not None:
        q = q.where(ContactRead.department_id == department.id)
    if ticket_id is not None:
        q = q.where(ContactRead.ticket_id == ticket_id)
    return [
        {
            "at": iso(r.at),
            "user": username,
            "user_name": display,
            "department": code,
            "department_name": dept_name,
            "ticket_id": r.ticket_id,
            "number": number,
            "ip": r.ip,
        }
        for r, username, display, code, dept_name, number in db.session.execute(q)
    ]
