"""The department side of a ticket: sub-dispatch (二级派单) to a child department, the lead's review of the
child's reply, and naming the handling officer (承办人). The second-level states are data in
hotline.workflow (SubStatus, SUB_TRANSITIONS); `ticket_action` checks them."""

from __future__ import annotations

from sqlalchemy import select, update

from hotline import notices
from hotline.actions._core import ActionContext, Actor, require, ticket_action
from hotline.errors import ValidationError
from hotline.extensions import db
from hotline.models import Assignment, Department, Ticket, User
from hotline.workflow import Status


def _text(value: object, field: str, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError(f"{field} is required", fields={field: "required"})
        return None
    if not isinstance(value, str) or len(value) > 4000:
        raise ValidationError(f"{field} must be text", fields={field: "text of at most 4000 characters"})
    return value.strip()


def _child(code: object) -> Department:
    if not isinstance(code, str) or not code:
        raise ValidationError("department is required", fields={"department": "required"})
    dept = db.session.scalar(select(Department).where(Department.code == code))
    if dept is None or not dept.active:
        raise ValidationError("unknown department", fields={"department": "unknown department"})
    return dept


def _end_sub_assignments(ticket: Ticket) -> None:
    db.session.execute(
        update(Assignment)
        .where(Assignment.ticket_id == ticket.id, Assignment.role == "sub", Assignment.active.is_(True))
        .values(active=False)
    )


def _set_sub(ctx: ActionContext) -> None:
    assert ctx.sub is not None
    if ctx.sub.target is not None:
        ctx.ticket.sub_status = ctx.sub.target.value


def sub_dispatch(ticket_id: int, actor: Actor, department: object, note: object = None) -> Ticket:
    """二级派单: a district or county passes its ticket on to one of its own streets. The district stays the lead
    and answerable to the centre: its clock keeps running, and the street's due time is the district's."""
    child = _child(department)
    note = _text(note, "note", required=False)
    with ticket_action(ticket_id, "sub-dispatch", actor) as ctx:
        t = ctx.ticket
        if child.parent_id != t.department_id:
            raise ValidationError(
                "only a child of the ticket's department can be sub-dispatched to",
                fields={"department": "not a child of the lead department"},
            )
        _end_sub_assignments(t)
        db.session.add(
            Assignment(
                ticket_id=t.id,
                department_id=child.id,
                role="sub",
                round=t.dispatch_rounds,
                active=True,
                created_at=ctx.now,
            )
        )
        t.sub_department_id, t.sub_department = child.id, child
        t.sub_reply_text = None
        t.sub_due_at = t.due_at
        _set_sub(ctx)
        ctx.event(note=note, department=child, data={"from": t.department.code if t.department else None})
        notices.notify(ctx, child, "sub-dispatch")
    return ctx.ticket


def sub_sign(ctx: ActionContext) -> None:
    """The child signs for its sub-dispatched ticket (called by `sign_ticket`)."""
    _set_sub(ctx)
    on_time = ctx.ticket.sub_due_at is None or ctx.now <= ctx.ticket.sub_due_at
    ctx.event(action="sub-sign", department=ctx.ticket.sub_department, data={"on_time": on_time})


def sub_reply(ctx: ActionContext, text: str) -> None:
    """The child replies to the lead, not to the centre (called by `reply_ticket`)."""
    ctx.ticket.sub_reply_text = text
    _set_sub(ctx)
    ctx.event(action="sub-reply", note=text, department=ctx.ticket.sub_department)


def approve_sub_reply(ticket_id: int, actor: Actor, text: object = None, note: object = None) -> Ticket:
    """The lead accepts the child's reply (optionally edited as `text`): it becomes the ticket's one reply to the
    centre, which reviews it as any reply."""
    text = _text(text, "text", required=False)
    note = _text(note, "note", required=False)
    with ticket_action(ticket_id, "approve-sub-reply", actor) as ctx:
        t = ctx.ticket
        require(bool(t.sub_reply_text), "the sub-dispatched department has not replied", "no_sub_reply")
        t.reply_text = text or t.sub_reply_text
        t.replied_at = ctx.now
        _set_sub(ctx)
        ctx.set_status(Status.REPLY_REVIEW)
        ctx.event(
            note=note or t.reply_text,
            data={
                "on_time": t.due_at is None or ctx.now <= t.due_at,
                "sub_department": t.sub_department.code if t.sub_department else None,
            },
        )
    return ctx.ticket


def reject_sub_reply(ticket_id: int, actor: Actor, note: object = None) -> Ticket:
    """The lead sends the child's reply back: the child handles it again."""
    note = _text(note, "note", required=True)
    with ticket_action(ticket_id, "reject-sub-reply", actor) as ctx:
        _set_sub(ctx)
        ctx.event(note=note, department=ctx.ticket.sub_department)
    return ctx.ticket


def assign_officer(ticket_id: int, actor: Actor, user: object) -> Ticket:
    """承办人: the lead department names one of its own staff as the ticket's handling officer."""
    if not isinstance(user, str) or not user:
        raise ValidationError("user is required", fields={"user": "required"})
    with ticket_action(ticket_id, "assign", actor) as ctx:
        t = ctx.ticket
        officer = db.session.scalar(select(User).where(User.username == user))
        if (
            officer is None
            or not officer.active
            or officer.role != "department"
            or officer.department_id != t.department_id
        ):
            raise ValidationError(
                "not staff of the ticket's department", fields={"user": "not staff of the department"}
            )
        previous = t.handler.username if t.handler else None
        require(previous != officer.username, "already the handling officer", "already_assigned")
        t.handler_id, t.handler = officer.id, officer
        ctx.event(note=officer.display_name, data={"user": officer.username, "previous": previous})
    return ctx.ticket
