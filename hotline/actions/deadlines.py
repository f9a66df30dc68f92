"""预警/超期: the system raises warnings and overdue marks on the two clocks, once each."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from hotline import events, outbox
from hotline.actions._core import SYSTEM
from hotline.extensions import db
from hotline.models import Department, Ticket, TimelineEvent
from hotline.models.base import utcnow
from hotline.workflow import AWAITING_SIGNATURE, WITH_DEPARTMENT, Status

# (clock, planned-instant column, mark column, event op)
_MARKS = (
    ("sign", "sign_warn_at", "sign_warned_at", "warning"),
    ("sign", "sign_due_at", "sign_overdue_at", "overdue"),
    ("handle", "warn_at", "warned_at", "warning"),
    ("handle", "due_at", "overdue_at", "overdue"),
)


def _clock_running(ticket: Ticket, clock: str) -> bool:
    if ticket.paused_at is not None or Status(ticket.status) not in WITH_DEPARTMENT:
        return False
    if clock == "sign":
        return Status(ticket.status) in AWAITING_SIGNATURE and ticket.signed_at is None
    return ticket.signed_at is not None and ticket.status == Status.IN_PROGRESS


def check_deadlines(ticket_id: int, now: dt.datetime | None = None) -> list[str]:
    """Raise what is due and not yet raised. Idempotent: the marks are set under the row lock."""
    now = now or utcnow()
    try:
        ticket = db.session.scalar(select(Ticket).where(Ticket.id == ticket_id).with_for_update())
        raised: list[str] = []
        if ticket is None:
            db.session.rollback()
            return raised
        dept = db.session.get(Department, ticket.department_id) if ticket.department_id else None
        for clock, planned_attr, mark_attr, op in _MARKS:
            planned = getattr(ticket, planned_attr)
            if planned is None or planned > now or getattr(ticket, mark_attr) is not None:
                continue
            if not _clock_running(ticket, clock):
                continue
            setattr(ticket, mark_attr, now)
            action = f"{clock}-{op}"
            raised.append(action)
            db.session.add(
                TimelineEvent(
                    ticket_id=ticket.id,
                    at=now,
                    action=action,
                    actor_id=None,
                    actor_label=SYSTEM.label,
                    from_status=ticket.status,
                    to_status=ticket.status,
                    department_id=ticket.department_id,
                    note=None,
                    data={"due": planned.isoformat()},
                )
            )
            rooms = ["supervisors", f"ticket:{ticket.id}"]
            if dept is not None:
                rooms.append(events.dept_room(dept.code))
            outbox.add_socket_event(events.ticket_event(ticket, op, action, dept), rooms)
            if dept is not None and dept.liaison_phone:
                word = "即将超期" if op == "warning" else "已超期"
                outbox.add_sms(
                    dept.liaison_phone, f"【12345】工单{ticket.number}{word}，请及时办理。", ticket.id
                )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    if raised:
        outbox.kick()
    return raised
