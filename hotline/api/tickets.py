"""Tickets: intake, read, list, and one route for every lifecycle action."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import Response, g, jsonify, request

from hotline import access, actions, search
from hotline.api import bp
from hotline.api.auth import json_body, login_required
from hotline.api.serialize import iso, ticket_to_dict, tickets_to_dicts
from hotline.deadlines.calendar import TZ
from hotline.errors import NotFound, ValidationError
from hotline.extensions import db
from hotline.models import Ticket
from hotline.models.base import utcnow

INTAKE_ROLES = ("operator", "supervisor", "admin")


@bp.post("/tickets")
@login_required(INTAKE_ROLES)
def create_ticket():
    data = actions.parse_intake(json_body())
    ticket, code = actions.create_ticket(data, g.user)
    # Answer from what was just written: no read-back of the new ticket.
    known = {ticket.caller_id: (data.caller_phone, data.caller_name)} if ticket.caller_id else {}
    body = tickets_to_dicts([ticket], g.user, known_callers=known, fresh=True)[0]
    body["timeline"] = [
        {
            "at": iso(ticket.created_at),
            "action": "create",
            "actor": g.user.label,
            "from_status": None,
            "to_status": ticket.status,
            "department": None,
            "note": None,
            "data": {"channel": data.channel, "line": data.line} if data.line else None,
        }
    ]
    body["retrieval_code"] = code  # shown once, to be read out or sent to the caller
    return jsonify(body), 201


@bp.get("/tickets/<int:ticket_id>")
@login_required()
def get_ticket(ticket_id: int):
    ticket = access.get_ticket(g.user, ticket_id)
    return jsonify(ticket_to_dict(ticket, g.user))


def _int_arg(name: str, default: int, lo: int, hi: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError(f"{name} must be an integer", fields={name: "must be an integer"}) from None
    if not lo <= value <= hi:
        raise ValidationError(f"{name} out of range", fields={name: f"between {lo} and {hi}"})
    return value


@bp.get("/tickets")
@login_required()
def list_tickets():
    page = _int_arg("page", 1, 1, 100_000)
    per_page = _int_arg("per_page", 20, 1, 100)
    if request.args.get("updated_since"):
        query, total, order = search.filtered(g.user, request.args), None, Ticket.id.desc()
    else:
        query, total, order = search.search(g.user, request.args)
    if since := request.args.get("updated_since"):
        # What a console missed while disconnected: everything changed since its last event, oldest first.
        try:
            since_at = dt.datetime.fromisoformat(since.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError("not an ISO time", fields={"updated_since": "an ISO 8601 time"}) from None
        if since_at.tzinfo is None:
            raise ValidationError("give a time zone", fields={"updated_since": "an ISO 8601 time with zone"})
        query = query.where(Ticket.updated_at >= since_at)
        order = Ticket.updated_at.asc()
    if total is None:
        total = search.capped_count(query)
    items = list(db.session.scalars(query.order_by(order, Ticket.id).limit(per_page).offset((page - 1) * per_page)))
    return jsonify(
        {
            "items": tickets_to_dicts(items, g.user),
            "page": page,
            "per_page": per_page,
            "total": min(total, search.COUNT_CAP),
            "total_exact": total <= search.COUNT_CAP,
        }
    )


@bp.get("/tickets/export.xlsx")
@login_required()
def export_tickets():
    """The search's tickets (same filters as the list) as a workbook, newest first, up to 50,000 rows, streamed."""
    from hotline.api.ticket_export import write_workbook

    query, _total, order = search.search(g.user, request.args)
    out = write_workbook(query, g.user, order)
    stamp = utcnow().astimezone(TZ).strftime("%Y%m%d-%H%M")

    def chunks():
        with out:
            while block := out.read(64 * 1024):
                yield block

    return Response(
        chunks(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="tickets-{stamp}.xlsx"', "Cache-Control": "no-store"},
    )


# action name -> (function, the body fields it takes)
ACTIONS: dict[str, tuple[Callable[..., Any], tuple[str, ...]]] = {
    "answer": (actions.answer_ticket, ("text",)),
    "dispatch": (actions.dispatch_ticket, ("department", "assisting", "note")),
    "merge": (actions.merge_ticket, ("into",)),
    "not-accept": (actions.not_accept_ticket, ("reason",)),
    "hand-off": (actions.hand_off_ticket, ("to", "note")),
    "sign": (actions.sign_ticket, ()),
    "return": (actions.return_ticket, ("reason", "note")),
    "approve-return": (actions.approve_return, ("note",)),
    "reject-return": (actions.reject_return, ("note",)),
    "request-extension": (actions.request_extension, ("days", "reason")),
    "approve-extension": (actions.approve_extension, ("note",)),
    "reject-extension": (actions.reject_extension, ("note",)),
    "reply": (actions.reply_ticket, ("text",)),
    "approve-reply": (actions.approve_reply, ("note",)),
    "reject-reply": (actions.reject_reply, ("note",)),
    "record-callback": (actions.record_callback, ("resolved", "satisfaction", "note")),
    "reopen": (actions.reopen_ticket, ("note",)),
    "close-unreachable": (actions.close_unreachable, ("note",)),
    "close-excluded": (actions.close_excluded, ("reason",)),
    "urge": (actions.urge_ticket, ("note",)),
    "supervise": (actions.supervise_ticket, ("note", "answer_hours")),
    "answer-supervision": (actions.answer_supervision, ("text",)),
    "note": (actions.add_note, ("text",)),
    "reclassify": (actions.reclassify_ticket, ("reason", "category", "type", "urgency", "region", "address", "title")),
    "assign": (actions.assign_officer, ("user",)),
    "sub-dispatch": (actions.sub_dispatch, ("department", "note")),
    "approve-sub-reply": (actions.approve_sub_reply, ("text", "note")),
    "reject-sub-reply": (actions.reject_sub_reply, ("note",)),
}


@bp.post("/tickets/<int:ticket_id>/actions/<action>")
@login_required()
def ticket_action(ticket_id: int, action: str):
    entry = ACTIONS.get(action)
    if entry is None:
        raise NotFound(f"unknown action {action!r}", code="unknown_action")
    fn, fields = entry
    body = json_body(allow_empty=True)
    assert isinstance(body, dict)
    # Required arguments come positionally so a missing one is reported by the action (422).
    kwargs = {name: body.get(name) for name in fields}
    ticket = fn(ticket_id, g.user, **kwargs)
    db.session.expire_all()
    return jsonify(ticket_to_dict(access.get_ticket(g.user, ticket.id), g.user))
