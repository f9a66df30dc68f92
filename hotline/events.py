"""Socket.IO events: small {type, op, ...} dicts to named rooms, published only after commit."""

from __future__ import annotations

from hotline import outbox
from hotline.models import Department, Ticket

NAMESPACE = "/agents"


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


def emit_now(event: dict, rooms: list[str]) -> None:
    """Publish through the Socket.IO message queue (used by the outbox relay only)."""
    from hotline.extensions import socketio

    # One publish for all the rooms: a client in several of them still gets the event once.
    socketio.emit("event", event, namespace=NAMESPACE, to=list(rooms))


def emit_batch(items: list[tuple[dict, list[str]]]) -> None:
    """Publish many (event, rooms) at once (the socket relay); raises if the message queue is unavailable."""
    from hotline.extensions import socketio

    manager = socketio.server.manager if socketio.server else None
    if manager is not None and hasattr(manager, "publish_batch"):
        manager.publish_batch([("event", event, NAMESPACE, list(rooms)) for event, rooms in items])
        return
    for event, rooms in items:  # no Redis queue configured: this process's own clients only
        emit_now(event, rooms)
