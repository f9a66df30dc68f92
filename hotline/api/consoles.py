"""What the consoles need beyond tickets: the caller's history for the screen-pop, the wallboard figures,
and ticket photos."""

from __future__ import annotations

import datetime as dt

from flask import g, jsonify, request
from sqlalchemy import case, func, select

from hotline import actions
from hotline.actions.attachments import MAX_ATTACHMENT_BYTES
from hotline.api import bp
from hotline.api.auth import login_required
from hotline.api.serialize import iso, tickets_to_dicts
from hotline.deadlines.calendar import TZ
from hotline.errors import ValidationError
from hotline.extensions import db
from hotline.models import Attachment, Caller, Ticket
from hotline.models.base import utcnow
from hotline.reports.calls import live_figures
from hotline.validation import normalize_phone
from hotline.workflow import AWAITING_SIGNATURE, OPEN, Status

CENTRE_ROLES = ("operator", "supervisor", "admin", "leader")
WALLBOARD_ROLES = ("supervisor", "admin", "leader")
# A caller with this many tickets in the window, or any still open, is flagged as a repeat caller (重复来电).
REPEAT_WINDOW_DAYS = 30
REPEAT_MIN_TICKETS = 2
OPEN_VALUES = [s.value for s in OPEN]


@bp.get("/callers/history")
@login_required(CENTRE_ROLES)
def caller_history():
    """The screen-pop: the caller's earlier tickets, open ones first, and the repeat-caller flag."""
    phone = normalize_phone(request.args.get("phone", ""))
    if phone is None:
        raise ValidationError("not a phone number", fields={"phone": "not a phone number"})
    caller = db.session.scalar(select(Caller).where(Caller.phone == phone))
    tickets: list[Ticket] = []
    if caller is not None:
        is_open = case((Ticket.status.in_(OPEN_VALUES), 0), else_=1)
        tickets = list(
            db.session.scalars(
                select(Ticket)
                .where(Ticket.caller_id == caller.id)
                .order_by(is_open, Ticket.created_at.desc())
                .limit(20)
            )
        )
    since = utcnow() - dt.timedelta(days=REPEAT_WINDOW_DAYS)
    recent = sum(1 for t in tickets if t.created_at >= since)
    open_count = sum(1 for t in tickets if t.status in OPEN_VALUES)
    return jsonify(
        {
            "phone": phone,
            "name": caller.name if caller else None,
            "known": caller is not None,
            "do_not_call": caller.do_not_call if caller else False,
            "open": open_count,
            "recent": recent,
            "repeat": open_count > 0 or recent >= REPEAT_MIN_TICKETS,
            "tickets": tickets_to_dicts(tickets, g.user),
        }
    )


def _local_midnight(now: dt.datetime, first_of_month: bool = False) -> dt.datetime:
    local = now.astimezone(TZ)
    day = local.date().replace(day=1) if first_of_month else local.date()
    return dt.datetime.combine(day, dt.time(), TZ).astimezone(dt.UTC)


def _bucket(column, unit: str):
    """The local (Asia/Shanghai, UTC+8 all year) hour or day of a UTC timestamp, as text."""
    fmt = "YYYY-MM-DD HH24" if unit == "hour" else "YYYY-MM-DD"
    return func.to_char(func.timezone("Asia/Shanghai", column), fmt)


def _series(column, start: dt.datetime, unit: str) -> dict[str, int]:
    key = _bucket(column, unit)
    rows = db.session.execute(select(key, func.count()).where(column >= start).group_by(key))
    return {k: n for k, n in rows}


@bp.get("/wallboard")
@login_required(WALLBOARD_ROLES)
def wallboard():
    now = utcnow()
    today, month = _local_midnight(now), _local_midnight(now, first_of_month=True)
    by_status_today = dict(
        db.session.execute(
            select(Ticket.status, func.count()).where(Ticket.created_at >= today).group_by(Ticket.status)
        ).all()
    )
    open_by_status = dict(
        db.session.execute(
            select(Ticket.status, func.count()).where(Ticket.status.in_(OPEN_VALUES)).group_by(Ticket.status)
        ).all()
    )
    sign_late = (
        Ticket.status.in_([s.value for s in AWAITING_SIGNATURE])
        & Ticket.signed_at.is_(None)
        & ((Ticket.sign_due_at < now) | Ticket.sign_overdue_at.is_not(None))
    )
    handle_late = (Ticket.status == Status.IN_PROGRESS.value) & ((Ticket.due_at < now) | Ticket.overdue_at.is_not(None))
    overdue = db.session.scalar(select(func.count()).where(sign_late | handle_late))
    callbacks = list(
        db.session.scalars(
            select(Ticket)
            .where(Ticket.status == Status.CALLBACK_PENDING.value)
            .order_by(Ticket.reply_approved_at)
            .limit(50)
        )
    )
    local_today = now.astimezone(TZ).date()
    created_h, closed_h = _series(Ticket.created_at, today, "hour"), _series(Ticket.closed_at, today, "hour")
    created_d, closed_d = _series(Ticket.created_at, month, "day"), _series(Ticket.closed_at, month, "day")
    hours = [f"{local_today.isoformat()} {h:02d}" for h in range(24)]
    days = [(local_today.replace(day=1) + dt.timedelta(days=i)).isoformat() for i in range(local_today.day)]
    return jsonify(
        {
            "at": iso(now),
            **live_figures(now, today),
            "today": {"created": sum(by_status_today.values()), "by_status": by_status_today},
            "open": {"total": sum(open_by_status.values()), "by_status": open_by_status},
            "overdue": overdue,
            "callback_queue": tickets_to_dicts(callbacks, g.user),
            "charts": {
                "hours": [h[-2:] for h in hours],
                "created_by_hour": [created_h.get(h, 0) for h in hours],
                "closed_by_hour": [closed_h.get(h, 0) for h in hours],
                "days": [d[-2:] for d in days],
                "created_by_day": [created_d.get(d, 0) for d in days],
                "closed_by_day": [closed_d.get(d, 0) for d in days],
            },
        }
    )


def attachment_dict(a: Attachment) -> dict:
    """As GET /tickets/<id>/attachments lists them (hotline/api/attachments.py), plus the cleaned file name."""
    return {
        "id": a.id,
        "content_type": a.content_type,
        "size": a.size,
        "created_at": iso(a.created_at),
        "filename": a.original_name,
        "url": f"/api/v1/tickets/{a.ticket_id}/attachments/{a.id}",
    }


@bp.post("/tickets/<int:ticket_id>/attachments")
@login_required()
def upload_attachment(ticket_id: int):
    """Staff add a photo (JPEG, PNG, GIF, WebP, HEIC; at most 5 MB) to a ticket they take part in."""
    upload = request.files.get("file")
    if upload is None:
        raise ValidationError("send the photo as multipart field 'file'", fields={"file": "required"})
    # Read one byte past the limit: enough to refuse a larger file without holding all of it.
    _, att = actions.attach_photo(ticket_id, g.user, upload.filename, upload.read(MAX_ATTACHMENT_BYTES + 1))
    return jsonify(attachment_dict(att)), 201
