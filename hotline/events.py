"""Socket.IO events: small {type, op, ...} dicts to named rooms, published only after commit."""

from __future__ import annotations

from hotline import outbox
from hotline.models import Department, Ticket

NAMESPACE = outbox.SOCKET_NAMESPACE


def dept_room(code: str) -> str:
    return f"dept:{code}"


def ticket_event(ticket: Ticket, op: str, action: str | None = None, department: Department | None = None) -> dict:
    dept = department or ticket.department
    return {
        "type": "ticket",
        "op": op,
        "id": ticket.id,
        "number": ticket.number,
        "status": ticket.status,
        "urgency": ticket.urgency,
        "department": dept.code if dept else None,
        "action": action,
        "sign_due_at": ticket.sign_due_at.isoformat() if ticket.sign_due_at else None,
        "due_at": ticket.due_at.isoformat() if ticket.due_at else None,
        # A console that reconnects asks for everything updated since the last event it saw.
        "updated_at": ticket.updated_at.isoformat() if ticket.updated_at else None,
    }


def publish_ticket(
    ticket: Ticket,
    op: str,
    action: str | None,
    dept_codes: list[str],
    centre_rooms: tuple[str, ...] = ("supervisors",),
) -> None:
    """Write the event to the outbox: the ticket's room, its departments' rooms, and centre rooms."""
    outbox.add(ticket_row(ticket, op, action, dept_codes, centre_rooms))


def ticket_row(
    ticket: Ticket,
    op: str,
    action: str | None,
    dept_codes: list[str],
    centre_rooms: tuple[str, ...] = ("supervisors",),
) -> dict:
    """The outbox row of a ticket event (for a caller that writes its rows itself)."""
    rooms = [f"ticket:{ticket.id}", *centre_rooms, *(dept_room(c) for c in dept_codes)]
    return outbox.socket_row(ticket_event(ticket, op, action), rooms)
