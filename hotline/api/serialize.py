"""The ticket as the API shows it (CONTRACT.md fields), shaped by who is looking."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from hotline import access, five_elements, workflow
from hotline.extensions import db
from hotline.models import (
    Assignment,
    Caller,
    Category,
    Department,
    PublicSubmission,
    Region,
    Ticket,
    TimelineEvent,
    User,
)
from hotline.models.base import iso, utcnow
from hotline.workflow import AWAITING_SIGNATURE, Status


def is_overdue(t: Ticket, now: dt.datetime | None = None) -> bool:
    """Overdue on the clock that is running now (or already marked overdue)."""
    now = now or utcnow()
    if t.paused_at is not None:
        return bool(t.overdue_at or t.sign_overdue_at)
    if t.status in AWAITING_SIGNATURE and t.signed_at is None and t.sign_due_at:
        return t.sign_overdue_at is not None or now > t.sign_due_at
    if t.status == Status.IN_PROGRESS and t.due_at:
        return t.overdue_at is not None or now > t.due_at
    return False


NO_NAME: tuple[None, None] = (None, None)


def _dept_codes(ids: set[int]) -> dict[int, tuple[str, str]]:
    """id -> (code, name)."""
    if not ids:
        return {}
    rows = db.session.execute(select(Department.id, Department.code, Department.name).where(Department.id.in_(ids)))
    return {row.id: (row.code, row.name) for row in rows}


def tickets_to_dicts(
    tickets: list[Ticket], viewer: User, known_callers: dict | None = None, fresh: bool = False
) -> list[dict]:
    """Serialize a page of tickets with three queries in all (no query per ticket). `fresh` tickets were just
    created (no assignments yet); `known_callers` (id -> (phone, name)) spares the caller query."""
    ids = [t.id for t in tickets]
    assists: dict[int, list[int]] = {}
    if ids and not fresh:
        for tid, dept_id in db.session.execute(
            select(Assignment.ticket_id, Assignment.department_id)
            .where(Assignment.ticket_id.in_(ids), Assignment.active.is_(True), Assignment.role == "assist")
            .order_by(Assignment.id)
        ):
            assists.setdefault(tid, []).append(dept_id)
    dept_ids = (
        {t.department_id for t in tickets if t.department_id}
        | {t.sub_department_id for t in tickets if t.sub_department_id}
        | {d for v in assists.values() for d in v}
    )
    handler_ids = {t.handler_id for t in tickets if t.handler_id}
    handlers = (
        {
            row.id: (row.username, row.display_name)
            for row in db.session.execute(
                select(User.id, User.username, User.display_name).where(User.id.in_(handler_ids))
            )
        }
        if handler_ids
        else {}
    )
    codes = _dept_codes(dept_ids)
    callers: dict[int, tuple[str, str | None]] = dict(known_callers or {})
    caller_ids = {t.caller_id for t in tickets if t.caller_id and t.caller_id not in callers}
    if caller_ids:
        rows = db.session.execute(select(Caller.id, Caller.phone, Caller.name).where(Caller.id.in_(caller_ids)))
        callers.update({row.id: (row.phone, row.name) for row in rows})
    full = access.sees_full_phone(viewer)
    now = utcnow()
    out = []
    for t in tickets:
        phone, name = callers.get(t.caller_id, (None, None)) if t.caller_id else (None, None)
        if not full:
            phone = access.mask_phone(phone)
            name = (name[0] + "*" * (len(name) - 1)) if name else None
        out.append(
            {
                "id": t.id,
                "number": t.number,
                "status": t.status,
                "type": t.type,
                "urgency": t.urgency,
                "channel": t.channel,
                "category": t.category_code,
                "region": t.region_code,
                "line": t.line,
                "title": t.title,
                "content": t.content,
                "address": t.address,
                "occurred_at": iso(t.occurred_at),
                "missing_elements": five_elements.missing(
                    caller=t.caller_id,
                    occurred_at=t.occurred_at,
                    region=t.region_code,
                    address=t.address,
                    category=t.category_code,
                    content=t.content,
                ),
                "publishable": t.publishable,
                "caller_phone": phone,
                "caller_name": name,
                "department": codes.get(t.department_id, NO_NAME)[0] if t.department_id else None,
                "department_name": codes.get(t.department_id, NO_NAME)[1] if t.department_id else None,
                "assisting": [codes[d][0] for d in assists.get(t.id, [])],
                "assisting_names": [codes[d][1] for d in assists.get(t.id, [])],
                "handler": handlers.get(t.handler_id, NO_NAME)[0] if t.handler_id else None,
                "handler_name": handlers.get(t.handler_id, NO_NAME)[1] if t.handler_id else None,
                "sub_department": codes.get(t.sub_department_id, NO_NAME)[0] if t.sub_department_id else None,
                "sub_department_name": codes.get(t.sub_department_id, NO_NAME)[1] if t.sub_department_id else None,
                "sub_status": t.sub_status,
                "sub_due_at": iso(t.sub_due_at),
                "sub_reply": t.sub_reply_text,
                "dispatch_rounds": t.dispatch_rounds,
                "designated": t.designated,
                "sign_due_at": iso(t.sign_due_at),
                "dispatched_at": iso(t.dispatched_at),
                "signed_at": iso(t.signed_at),
                "due_at": iso(t.due_at),
                "overdue": is_overdue(t, now),
                "warning": bool(t.sign_warned_at or t.warned_at),
                "paused": t.paused_at is not None,
                "escalated": t.escalated_at is not None,
                "public_notice": t.notice_flagged_at is not None,
                "reply": t.reply_text,
                "answer": t.answer_text,
                "callback": {
                    "resolved": t.callback_resolved,
                    "satisfaction": t.callback_satisfaction,
                    "at": iso(t.callback_at),
                }
                if t.callback_at
                else None,
                "merged_into": t.merged_into_id,
                "closed_at": iso(t.closed_at),
                "created_at": iso(t.created_at),
                "updated_at": iso(t.updated_at),
            }
        )
    return out


def timeline(ticket_id: int) -> list[dict]:
    """The ticket's events, oldest first, with the department's and the staff actor's names beside their codes."""
    rows = db.session.execute(
        select(TimelineEvent, Department.code, Department.name, User.display_name)
        .outerjoin(Department, Department.id == TimelineEvent.department_id)
        .outerjoin(User, User.id == TimelineEvent.actor_id)
        .where(TimelineEvent.ticket_id == ticket_id)
        .order_by(TimelineEvent.id)
    ).all()
    return [
        {
            "at": iso(e.at),
            "action": e.action,
            "actor": e.actor_label,
            "actor_name": display_name or None,
            "from_status": e.from_status,
            "to_status": e.to_status,
            "department": code,
            "department_name": name,
            "note": e.note,
            "data": e.data,
        }
        for e, code, name, display_name in rows
    ]


def names_and_place(ticket: Ticket) -> dict:
    """The category as its path of names (城乡建设 › 城市建设和市政管理 › 城市公共设施), the region's name and, for a
    public submission, where the citizen stood: one round trip for all four."""
    path, region_name, lat, long = db.session.execute(
        select(
            select(Category.path).where(Category.code == ticket.category_code).scalar_subquery(),
            select(Region.name).where(Region.code == ticket.region_code).scalar_subquery(),
            select(PublicSubmission.lat).where(PublicSubmission.ticket_id == ticket.id).scalar_subquery(),
            select(PublicSubmission.long).where(PublicSubmission.ticket_id == ticket.id).scalar_subquery(),
        )
    ).one()
    return {
        "category_path": path.replace("/", " › ") if path else None,
        "region_name": region_name,
        "location": {"lat": lat, "long": long} if lat is not None and long is not None else None,
    }


# The step that moves the ticket on, offered as the page's one primary action (下一步) when the viewer may take it;
# the other available actions are secondary.
PRIMARY_ORDER = (
    "sign",
    "approve-sub-reply",
    "reply",
    "dispatch",
    "approve-return",
    "approve-extension",
    "approve-reply",
    "record-callback",
    "reopen",
)


def next_action(ticket: Ticket, available: list[str]) -> str | None:
    """The first of PRIMARY_ORDER this viewer may take whose guard the ticket meets now (the status alone offers
    approve-extension without a request pending, reopen before any rating)."""
    waiting = {
        "approve-extension": ticket.paused_at is not None,  # a pending request pauses the clock
        "record-callback": ticket.callback_satisfaction is None,
        "reopen": ticket.callback_satisfaction == 3,
    }
    return next((a for a in PRIMARY_ORDER if a in available and waiting.get(a, True)), None)


def available_actions(ticket: Ticket, viewer: User) -> list[str]:
    """What this viewer could try now (the action itself still checks its guards)."""
    names = workflow.actions_available(ticket.status, viewer.role)
    if viewer.role == "operator" and ticket.status != Status.ACCEPTED:
        names = [n for n in names if n != "reclassify"]  # operators correct before dispatch only
    if viewer.role != "department":
        return names
    part = access.department_role(viewer, ticket.id)
    if part == "sub":
        return [by_action for by, by_action in workflow.SUB_TRANSITIONS if by == "sub" and _sub_ok(ticket, by_action)]
    out = [
        n
        for n in names
        if workflow.TRANSITIONS[n].party == "party"
        and part
        or workflow.TRANSITIONS[n].party == "lead"
        and part == "lead"
    ]
    return [n for n in out if part != "lead" or _sub_ok(ticket, n, "lead")]


def _sub_ok(ticket: Ticket, action: str, by: str = "sub") -> bool:
    try:
        workflow.check_sub(action, ticket.status, ticket.sub_status, by)
    except workflow.TransitionError:
        return False
    return True


def may_see_contact(ticket: Ticket, viewer: User) -> bool:
    """Whether GET /tickets/<id>/contact would show this viewer the caller's full contact (see contact_log)."""
    from hotline.reports.contact_log import HANDLING

    if access.sees_full_phone(viewer):
        return True
    return ticket.status in HANDLING and access.department_role(viewer, ticket.id) in ("lead", "sub")


def ticket_to_dict(ticket: Ticket, viewer: User, with_timeline: bool = True) -> dict:
    out = tickets_to_dicts([ticket], viewer)[0]
    out["contact_visible"] = access.sees_full_phone(viewer)
    out["contact_available"] = may_see_contact(ticket, viewer)
    out["available_actions"] = available_actions(ticket, viewer)
    out["next_action"] = next_action(ticket, out["available_actions"])
    out.update(names_and_place(ticket))
    if with_timeline:
        out["timeline"] = timeline(ticket.id)
    return out
