"""What every action shares: one transaction, the ticket row lock, the transition check, the
timeline event, the outbox, and the relay kick after commit (Zulip's do_* pattern)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select, update

from hotline import access, events, metrics, outbox, timeline, workflow
from hotline.actions import citizen_notices
from hotline.errors import Conflict, DomainError, Forbidden, NotFound
from hotline.extensions import db
from hotline.models import Assignment, Department, Ticket, TicketClaim, User
from hotline.models.base import utcnow

# An inbox claim (认领, hotline.actions.claims) lapses after this long without a move by its holder.
CLAIM_IDLE = dt.timedelta(minutes=10)


@dataclass
class SystemActor:
    """The deadline workers and other jobs act as `system`."""

    username: str = "system"
    role: str = "system"
    id: int | None = None
    department_id: int | None = None

    @property
    def label(self) -> str:
        return self.username


SYSTEM = SystemActor()
_CLOSING = frozenset({workflow.Status.CLOSED.value, workflow.Status.MERGED.value})
Actor = User | SystemActor


@dataclass
class ActionContext:
    ticket: Ticket
    actor: Actor
    action: str
    now: dt.datetime
    from_status: str
    transition: workflow.Transition | None
    dept_role: str | None = None
    # The second-level step (sub-dispatch) this action is, when it is one (hotline.workflow.SUB_TRANSITIONS).
    sub: workflow.SubTransition | None = None
    notified_depts: set[str] = field(default_factory=set)

    def event(
        self,
        note: str | None = None,
        data: dict[str, Any] | None = None,
        action: str | None = None,
        department: Department | None = None,
    ) -> None:
        """This action's entry on the ticket's timeline (hotline.timeline: the one way events are written)."""
        dept = department or self.ticket.department
        timeline.add(
            self.ticket.id,
            action or self.action,
            self.actor,
            self.now,
            self.from_status,
            self.ticket.status,
            department_id=dept.id if dept else None,
            note=note,
            data=data,
        )

    def set_status(self, status: workflow.Status) -> None:
        if self.transition is not None and status not in self.transition.allowed_targets():
            raise AssertionError(f"{self.action} may not lead to {status}")
        self.ticket.status = status.value

    def active_dept_codes(self) -> list[str]:
        return list(
            db.session.scalars(
                select(Department.code)
                .join(Assignment, Assignment.department_id == Department.id)
                .where(Assignment.ticket_id == self.ticket.id, Assignment.active.is_(True))
            )
        )

    def notify_departments(self, codes: list[str]) -> None:
        """Also send this action's socket event to departments that lose the ticket."""
        self.notified_depts.update(codes)


def _check_claim(ticket: Ticket, actor: Actor, from_status: str, now: dt.datetime) -> None:
    """Called inside every action on a ticket that was waiting in the inbox: refuse another operator's
    outcome while a live claim holds, renew the holder's claim, and end the claim once the ticket leaves."""
    if from_status != workflow.Status.ACCEPTED or actor.id is None:
        return
    claim = db.session.get(TicketClaim, ticket.id)
    if claim is None:
        return
    live = claim.expires_at > now
    holder = db.session.get(User, claim.user_id)
    if live and claim.user_id != actor.id and actor.role not in workflow.SUPERVISORS:
        raise Conflict(f"{holder.label if holder else '?'} is working on this ticket", code="claimed")
    if ticket.status != workflow.Status.ACCEPTED:
        db.session.execute(delete(TicketClaim).where(TicketClaim.ticket_id == ticket.id))
    elif claim.user_id == actor.id:
        db.session.execute(
            update(TicketClaim).where(TicketClaim.ticket_id == ticket.id).values(expires_at=now + CLAIM_IDLE)
        )


def _lock(ticket_id: int, actor: Actor) -> tuple[Ticket, str | None]:
    """The ticket row-locked, with a department actor's part in it (access.department_role)."""
    if isinstance(actor, SystemActor):
        ticket = db.session.scalar(select(Ticket).where(Ticket.id == ticket_id).with_for_update())
        if ticket is None:
            raise NotFound("no such ticket")
        return ticket, None
    return access.get_ticket_and_role(actor, ticket_id, lock=True)


@contextmanager
def ticket_action(ticket_id: int, action: str, actor: Actor, now: dt.datetime | None = None) -> Iterator[ActionContext]:
    """Lock the ticket, check the transition and the actor's part, run the body, commit, publish."""
    try:
        ticket, role = _lock(ticket_id, actor)
        transition = None
        dept_role = None
        sub = None
        if action not in workflow.SYSTEM_ACTIONS:
            try:
                if actor.role == "department":
                    dept_role = role
                if dept_role == "sub":  # the child of a sub-dispatch: only the second-level table applies
                    sub = workflow.check_sub(action, ticket.status, ticket.sub_status, "sub")
                else:
                    transition = workflow.check(action, ticket.status, actor.role)
                    if actor.role == "department":
                        if transition.party == "lead" and dept_role != "lead":
                            raise Forbidden(f"only the lead department may {action}")
                        if not transition.party:
                            raise Forbidden(f"departments may not {action}")
                    if dept_role == "lead":
                        sub = workflow.check_sub(action, ticket.status, ticket.sub_status, "lead")
            except workflow.TransitionError as exc:
                raise DomainError(exc.message, code=exc.code, status=exc.status) from None
        ctx = ActionContext(ticket, actor, action, now or utcnow(), ticket.status, transition, dept_role, sub)
        # Set first, so that the body's changes and this go in one UPDATE whenever a query flushes them.
        ticket.updated_at = ctx.now
        yield ctx
        if ticket.status != ctx.from_status and ticket.status in _CLOSING:
            citizen_notices.add_close_notice(ticket)  # 办结 (or merged): the caller is told, every way it ends
        _check_claim(ticket, actor, ctx.from_status, ctx.now)
        if outbox.writes("socket"):
            codes = sorted(set(ctx.active_dept_codes()) | ctx.notified_depts)
            # The operators' inbox lists what waits in `accepted`: they hear when a ticket enters or leaves it.
            inbox = workflow.Status.ACCEPTED in (ctx.from_status, ticket.status)
            events.publish_ticket(
                ticket, "updated", action, codes, ("supervisors", "operators") if inbox else ("supervisors",)
            )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    metrics.ACTIONS.labels(action).inc()
    outbox.kick()


def require(condition: bool, message: str, code: str = "conflict") -> None:
    """A guard beyond the transition table: 409 when it does not hold."""
    if not condition:
        raise Conflict(message, code=code)


__all__ = ["SYSTEM", "ActionContext", "Actor", "SystemActor", "require", "ticket_action"]
