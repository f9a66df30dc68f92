"""预警/超期/通报: the system raises warnings, overdue marks and the public-notice flag on the two
clocks and on supervision notices, each exactly once, under the row lock.

The same code serves the job scheduled at one ticket's instant and the periodic sweep, which marks
due tickets in batches (one transaction per batch) so that 10,000 falling due at once take seconds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, select

from hotline import events, notices, outbox, timeline
from hotline.actions._core import SYSTEM
from hotline.extensions import db
from hotline.models import Department, SupervisionNotice, Ticket
from hotline.models.base import utcnow
from hotline.workflow import AWAITING_SIGNATURE, SUB_OPEN, Status


@dataclass(frozen=True)
class Mark:
    clock: str  # sign | handle
    planned: str  # column holding the planned instant
    mark: str  # column set when raised
    op: str  # socket event op: warning | overdue | notice

    @property
    def action(self) -> str:
        return f"{self.clock}-{self.op}"

    def running(self) -> ColumnElement[bool]:
        """SQL for "this clock runs": matches the partial indexes on tickets."""
        if self.clock == "sign":
            return and_(
                Ticket.status.in_([s.value for s in AWAITING_SIGNATURE]),
                Ticket.signed_at.is_(None),
                Ticket.paused_at.is_(None),
            )
        return and_(Ticket.status == Status.IN_PROGRESS.value, Ticket.paused_at.is_(None))

    def is_running(self, t: Ticket) -> bool:
        if t.paused_at is not None:
            return False
        if self.clock == "sign":
            return t.status in AWAITING_SIGNATURE and t.signed_at is None
        return t.status == Status.IN_PROGRESS

    def due(self, now: dt.datetime) -> ColumnElement[bool]:
        return and_(self.running(), getattr(Ticket, self.mark).is_(None), getattr(Ticket, self.planned) <= now)


MARKS = (
    Mark("sign", "sign_warn_at", "sign_warned_at", "warning"),
    Mark("sign", "sign_due_at", "sign_overdue_at", "overdue"),
    Mark("handle", "warn_at", "warned_at", "warning"),
    Mark("handle", "due_at", "overdue_at", "overdue"),
    Mark("handle", "notice_at", "notice_flagged_at", "notice"),
)


class _Batch:
    """What one transaction raises: timeline events and outbox rows, inserted in bulk at the end."""

    def __init__(self) -> None:
        self.depts: dict[int, Department | None] = {}
        self.events: list[dict] = []
        self.outbox: list[dict] = []
        self.notices: list[dict] = []

    def dept(self, dept_id: int | None) -> Department | None:
        if dept_id is None:
            return None
        if dept_id not in self.depts:
            self.depts[dept_id] = db.session.get(Department, dept_id)
        return self.depts[dept_id]

    def event(self, ticket: Ticket, now: dt.datetime, action: str, dept_id: int | None, data: dict) -> None:
        self.events.append(
            timeline.event_row(
                ticket.id, action, SYSTEM, now, ticket.status, ticket.status, department_id=dept_id, data=data
            )
        )

    def write(self) -> None:
        db.session.flush()  # the marks on the tickets first
        timeline.write(self.events)
        notices.write(self.outbox, self.notices)
        self.events, self.outbox, self.notices = [], [], []


def _raise(ticket: Ticket, mark: Mark, now: dt.datetime, batch: _Batch) -> None:
    planned = getattr(ticket, mark.planned)
    setattr(ticket, mark.mark, now)
    if mark.op == "overdue" and ticket.escalated_at is None:
        ticket.escalated_at = now  # into the supervisors' queue
    batch.event(ticket, now, mark.action, ticket.department_id, {"due": planned.isoformat()})
    dept = batch.dept(ticket.department_id)
    rooms = ["supervisors", f"ticket:{ticket.id}"]
    if dept is not None:
        rooms.append(events.dept_room(dept.code))
    batch.outbox.append(outbox.socket_row(events.ticket_event(ticket, mark.op, mark.action, dept), rooms))
    told = [dept]
    if ticket.sub_status in SUB_OPEN:  # the child of a sub-dispatch works inside the lead's clock
        told.append(batch.dept(ticket.sub_department_id))
    for each in told:
        if each is not None:  # the liaison's SMS and the staff's inbox, as the department chose
            rows, inbox = notices.rows_for(each, ticket, mark.op, now)
            batch.outbox.extend(rows)
            batch.notices.extend(inbox)


def _raise_due(ticket: Ticket, now: dt.datetime, batch: _Batch) -> list[str]:
    raised = []
    for mark in MARKS:  # in order: a late job raises the warning before the overdue mark
        planned = getattr(ticket, mark.planned)
        if planned is None or planned > now or getattr(ticket, mark.mark) is not None:
            continue
        if not mark.is_running(ticket):
            continue
        _raise(ticket, mark, now, batch)
        raised.append(mark.action)
    return raised


def check_deadlines(ticket_id: int, now: dt.datetime | None = None) -> list[str]:
    """Raise what is due on one ticket and not yet raised. Safe to run late, or twice."""
    now = now or utcnow()
    try:
        ticket = db.session.scalar(select(Ticket).where(Ticket.id == ticket_id).with_for_update())
        batch = _Batch()
        raised = _raise_due(ticket, now, batch) if ticket is not None else []
        batch.write()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    if raised:
        outbox.kick()
    return raised


def sweep_due(now: dt.datetime | None = None, batch: int = 1000) -> int:
    """Mark every due ticket, a batch per transaction; skips rows another worker holds."""
    now = now or utcnow()
    total = 0
    for mark in MARKS:
        while True:
            try:
                tickets = db.session.scalars(
                    select(Ticket)
                    .where(mark.due(now))
                    .order_by(getattr(Ticket, mark.planned))
                    .limit(batch)
                    .with_for_update(skip_locked=True)
                ).all()
                pending = _Batch()
                for t in tickets:
                    total += len(_raise_due(t, now, pending))
                pending.write()
                db.session.commit()
            except BaseException:
                db.session.rollback()
                raise
            if len(tickets) < batch:
                break
    total += sweep_notices(now)
    if total:
        outbox.kick()
    return total


# ---- supervision notices (督办) -----------------------------------------------------------------


def _raise_notice(n: SupervisionNotice, ticket: Ticket, now: dt.datetime, batch: _Batch) -> list[str]:
    raised = []
    for planned, mark, op in (("answer_warn_at", "warned_at", "warning"), ("answer_due_at", "overdue_at", "overdue")):
        if getattr(n, mark) is not None or getattr(n, planned) > now or n.answered_at is not None:
            continue
        setattr(n, mark, now)
        action = f"supervision-{op}"
        raised.append(action)
        batch.event(ticket, now, action, n.department_id, {"notice": n.id, "due": n.answer_due_at.isoformat()})
        dept = batch.dept(n.department_id)
        rooms = ["supervisors", f"ticket:{ticket.id}"] + ([events.dept_room(dept.code)] if dept else [])
        batch.outbox.append(outbox.socket_row(events.ticket_event(ticket, op, action, dept), rooms))
    return raised


def check_notice(notice_id: int, now: dt.datetime | None = None) -> list[str]:
    now = now or utcnow()
    try:
        n = db.session.get(SupervisionNotice, notice_id)
        raised: list[str] = []
        if n is not None:
            ticket = db.session.scalar(select(Ticket).where(Ticket.id == n.ticket_id).with_for_update())
            db.session.refresh(n)
            batch = _Batch()
            raised = _raise_notice(n, ticket, now, batch)
            batch.write()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    if raised:
        outbox.kick()
    return raised


def sweep_notices(now: dt.datetime) -> int:
    ids = list(
        db.session.scalars(
            select(SupervisionNotice.id)
            .where(
                SupervisionNotice.answered_at.is_(None),
                SupervisionNotice.overdue_at.is_(None),
                SupervisionNotice.answer_warn_at <= now,
            )
            .limit(5000)
        )
    )
    db.session.rollback()
    return sum(len(check_notice(i, now)) for i in ids)
