"""The centre's manual calling list (回访): callbacks due or failed, and outcomes recorded by hand."""

from __future__ import annotations

from flask import g, jsonify, request
from sqlalchemy import exists, select
from sqlalchemy.orm import selectinload

from hotline import access, actions
from hotline.actions.callbacks import FAILED_CALL, now
from hotline.api import bp
from hotline.api.auth import json_body, login_required
from hotline.api.serialize import iso
from hotline.errors import NotFound, ValidationError
from hotline.extensions import db
from hotline.models import Callback, CallbackAttempt
from hotline.models.callbacks import CALLBACK_OPEN

CALLING_ROLES = ("supervisor", "admin")
LIST_LIMIT = 200
LISTS = ("due", "failed", "open")


def callback_to_dict(cb: Callback) -> dict:
    return {
        "id": cb.id,
        "ticket_id": cb.ticket_id,
        "ticket_number": cb.ticket.number,
        "ticket_status": cb.ticket.status,
        "round": cb.round,
        "reason": cb.reason,
        "status": cb.status,
        "phone": cb.phone,  # the centre sees full numbers
        "call_attempts": cb.call_attempts,
        "next_attempt_at": iso(cb.next_attempt_at),
        "resolved": cb.resolved,
        "satisfaction": cb.satisfaction,
        "answered_via": cb.answered_via,
        "created_at": iso(cb.created_at),
        "completed_at": iso(cb.completed_at),
        "attempts": [
            {
                "number": a.number,
                "channel": a.channel,
                "started_at": iso(a.started_at),
                "ended_at": iso(a.ended_at),
                "outcome": a.outcome,
                "resolved": a.resolved,
                "satisfaction": a.satisfaction,
                "note": a.note,
            }
            for a in cb.attempts
        ],
    }


@bp.get("/callbacks")
@login_required(CALLING_ROLES)
def list_callbacks():
    """?list=due (the next step is due now), failed (a call failed and the callback is still open), open."""
    which = request.args.get("list", "due")
    if which not in LISTS:
        raise ValidationError("unknown list", fields={"list": "one of " + ", ".join(LISTS)})
    query = select(Callback).where(Callback.status.in_(CALLBACK_OPEN))
    if which == "due":
        query = query.where(Callback.next_attempt_at <= now())
    elif which == "failed":
        query = query.where(
            exists().where(CallbackAttempt.callback_id == Callback.id, CallbackAttempt.outcome.in_(sorted(FAILED_CALL)))
        )
    query = query.options(selectinload(Callback.ticket), selectinload(Callback.attempts))
    rows = db.session.scalars(query.order_by(Callback.next_attempt_at, Callback.id).limit(LIST_LIMIT)).all()
    return jsonify({"list": which, "items": [callback_to_dict(cb) for cb in rows]})


def _callback(callback_id: int) -> Callback:
    cb = db.session.get(Callback, callback_id)
    if cb is None:
        raise NotFound("no such callback")
    return cb


@bp.get("/callbacks/<int:callback_id>")
@login_required(CALLING_ROLES)
def get_callback(callback_id: int):
    return jsonify(callback_to_dict(_callback(callback_id)))


@bp.post("/callbacks/<int:callback_id>/attempts")
@login_required(CALLING_ROLES)
def manual_attempt(callback_id: int):
    """A call made by hand: {"outcome": answered|no-answer|busy|refused|wrong-number, "resolved", "satisfaction",
    "note"}; answers go through the same rules as the IVR's (record-callback)."""
    _callback(callback_id)
    body = json_body()
    if not isinstance(body, dict):
        raise ValidationError("a JSON object is required")
    cb = actions.record_manual_attempt(
        callback_id, g.user, body.get("outcome"), body.get("resolved"), body.get("satisfaction"), body.get("note")
    )
    return jsonify(callback_to_dict(cb)), 201


@bp.get("/tickets/<int:ticket_id>/callbacks")
@login_required(("operator", "supervisor", "leader", "admin"))
def ticket_callbacks(ticket_id: int):
    """Every callback round of a ticket with its attempts (the centre)."""
    access.get_ticket(g.user, ticket_id)
    rows = db.session.scalars(select(Callback).where(Callback.ticket_id == ticket_id).order_by(Callback.round))
    return jsonify([callback_to_dict(cb) for cb in rows])
