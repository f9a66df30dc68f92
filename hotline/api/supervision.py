"""The centre's work queues and the calendar overrides (supervisors and admins)."""

from __future__ import annotations

import datetime as dt

from flask import g, jsonify
from sqlalchemy import select

from hotline.api import bp
from hotline.api.auth import json_body, login_required
from hotline.api.serialize import iso, tickets_to_dicts
from hotline.deadlines.limits import clear_calendar_cache
from hotline.errors import NotFound, ValidationError
from hotline.extensions import db
from hotline.models import CalendarOverride, ExtensionRequest, ReturnRequest, Ticket
from hotline.validation import Fields
from hotline.workflow import OPEN, Status

QUEUE_LIMIT = 200


def _tickets(query) -> list[dict]:
    return tickets_to_dicts(list(db.session.scalars(query.order_by(Ticket.id).limit(QUEUE_LIMIT))), g.user)


@bp.get("/queues/supervisor")
@login_required(("supervisor", "admin", "leader"))
def supervisor_queues():
    """What waits for the centre: returns, extensions, replies to review, dissatisfied callbacks,
    and overdue tickets escalated by the deadline workers."""
    pending_ext = select(ExtensionRequest.ticket_id).where(ExtensionRequest.status == "pending")
    return jsonify(
        {
            "returns": _tickets(select(Ticket).where(Ticket.status == Status.RETURN_PENDING.value)),
            "extensions": _tickets(select(Ticket).where(Ticket.id.in_(pending_ext))),
            "replies": _tickets(select(Ticket).where(Ticket.status == Status.REPLY_REVIEW.value)),
            "dissatisfied": _tickets(
                select(Ticket).where(Ticket.status == Status.CALLBACK_PENDING.value, Ticket.callback_satisfaction == 3)
            ),
            "escalated": _tickets(
                select(Ticket).where(Ticket.escalated_at.is_not(None), Ticket.status.in_([s.value for s in OPEN]))
            ),
            "pending_returns": [
                {"ticket_id": r.ticket_id, "reason": r.reason, "note": r.note, "requested_at": iso(r.requested_at)}
                for r in db.session.scalars(
                    select(ReturnRequest).where(ReturnRequest.status == "pending").limit(QUEUE_LIMIT)
                )
            ],
        }
    )


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError("not a date", fields={"date": "YYYY-MM-DD"}) from None


@bp.get("/calendar/overrides")
@login_required(("supervisor", "admin"))
def list_overrides():
    rows = db.session.scalars(select(CalendarOverride).order_by(CalendarOverride.day))
    return jsonify([{"date": r.day, "workday": r.is_workday, "note": r.note} for r in rows])


@bp.put("/calendar/overrides/<day>")
@login_required(("admin",))
def put_override(day: str):
    """A local change to the official calendar: {"workday": bool, "note": "..."}."""
    date = _date(day)
    body = json_body()
    f = Fields(body)
    if not isinstance(body.get("workday") if isinstance(body, dict) else None, bool):
        f.errors["workday"] = "true or false"
    note = f.string("note", max_len=200)
    f.done()
    assert isinstance(body, dict)
    row = db.session.get(CalendarOverride, date.isoformat()) or CalendarOverride(day=date.isoformat())
    row.is_workday, row.note = body["workday"], note
    db.session.add(row)
    db.session.commit()
    clear_calendar_cache()
    return jsonify({"date": row.day, "workday": row.is_workday, "note": row.note})


@bp.delete("/calendar/overrides/<day>")
@login_required(("admin",))
def delete_override(day: str):
    row = db.session.get(CalendarOverride, _date(day).isoformat())
    if row is None:
        raise NotFound("no override for that date")
    db.session.delete(row)
    db.session.commit()
    clear_calendar_cache()
    return "", 204
