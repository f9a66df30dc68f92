"""The call centre's API: operators' presence, call records and the call-back list, leader answering slots
(领导接听), and the call-centre figures for supervisors."""

from __future__ import annotations

import datetime as dt

from flask import g, jsonify, request
from sqlalchemy import select

from hotline.actions import calls as call_actions
from hotline.actions import presence as presence_actions
from hotline.api import bp
from hotline.api.auth import json_body, login_required
from hotline.api.serialize import iso
from hotline.deadlines.calendar import TZ
from hotline.errors import NotFound, ValidationError
from hotline.extensions import db
from hotline.models import Call, LeaderSlot, OperatorPresence, User
from hotline.models.base import utcnow
from hotline.models.calls import PRESENCE
from hotline.reports.calls import call_centre_figures
from hotline.validation import Fields

CENTRE = ("operator", "supervisor", "leader", "admin")
SUPERVISORS = ("supervisor", "admin")


def presence_to_dict(p: OperatorPresence) -> dict:
    return {
        "user_id": p.user_id,
        "username": p.user.username,
        "display_name": p.user.display_name,
        "role": p.user.role,
        "status": presence_actions.effective_status(p),
        "changed_at": iso(p.changed_at),
        "after_call_until": iso(p.after_call_until),
        "current_call_id": p.current_call_id,
    }


def call_to_dict(c: Call) -> dict:
    return {
        "id": c.id,
        "call_sid": c.call_sid,
        "direction": c.direction,
        "from": c.from_number,
        "to": c.to_number,
        "line": c.line,
        "status": c.status,
        "outcome": c.outcome,
        "menu_choice": c.menu_choice,
        "operator_id": c.operator_id,
        "ticket_id": c.ticket_id,
        "callback_of_id": c.callback_of_id,
        "started_at": iso(c.started_at),
        "offered_at": iso(c.offered_at),
        "answered_at": iso(c.answered_at),
        "ended_at": iso(c.ended_at),
        "wait_seconds": c.wait_seconds,
        "talk_seconds": c.talk_seconds,
        "recording_url": c.recording_url,
        "callback_needed": c.callback_needed,
        "called_back_at": iso(c.called_back_at),
    }


@bp.get("/operators/presence")
@login_required(CENTRE)
def list_presence():
    rows = db.session.scalars(select(OperatorPresence).order_by(OperatorPresence.changed_at))
    return jsonify([presence_to_dict(p) for p in rows])


@bp.get("/operators/me/presence")
@login_required(CENTRE)
def my_presence():
    p = db.session.get(OperatorPresence, g.user.id)
    if p is None:
        return jsonify(
            {
                "user_id": g.user.id,
                "username": g.user.username,
                "status": "away",
                "changed_at": None,
                "current_call_id": None,
            }
        )
    return jsonify(presence_to_dict(p))


@bp.route("/operators/me/presence", methods=["PUT", "POST"])
@login_required(CENTRE)
def set_my_presence():
    """Available / busy / after_call (话后处理, for `seconds`, default HOTLINE_AFTER_CALL_SECONDS) / away."""
    f = Fields(json_body())
    status = f.choice("status", PRESENCE, required=True)
    seconds = f.integer("seconds", lo=1, hi=presence_actions.MAX_AFTER_CALL_SECONDS)
    f.done()
    return jsonify(presence_to_dict(presence_actions.set_presence(g.user, status or "", seconds)))


def _page() -> int:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 100_000:
        raise ValidationError("page must be a positive integer", fields={"page": "must be a positive integer"})
    return int(raw)


@bp.get("/calls")
@login_required(CENTRE)
def list_calls():
    query = select(Call).order_by(Call.id.desc())
    if request.args.get("callback") in ("1", "true"):  # the call-back list: missed, not yet called back
        query = query.where(Call.callback_needed.is_(True), Call.called_back_at.is_(None))
    if outcome := request.args.get("outcome"):
        query = query.where(Call.outcome == outcome)
    per_page = 50
    rows = db.session.scalars(query.limit(per_page).offset((_page() - 1) * per_page))
    return jsonify([call_to_dict(c) for c in rows])


@bp.get("/calls/<int:call_id>")
@login_required(CENTRE)
def get_call(call_id: int):
    call = db.session.get(Call, call_id)
    if call is None:
        raise NotFound("no such call")
    return jsonify(call_to_dict(call))


@bp.post("/calls/<int:call_id>/ticket")
@login_required(("operator", "supervisor", "admin"))
def link_call(call_id: int):
    f = Fields(json_body())
    ticket_id = f.integer("ticket", required=True, lo=1)
    f.done()
    return jsonify(call_to_dict(call_actions.link_call_ticket(call_id, ticket_id or 0, g.user)))


@bp.post("/calls/<int:call_id>/call-back")
@login_required(("operator", "supervisor", "admin"))
def call_back(call_id: int):
    """Place the call-back (through the outbox; a worker asks Twilio): 202, the call record."""
    return jsonify(call_to_dict(call_actions.request_call_back(call_id, g.user))), 202


@bp.post("/calls/<int:call_id>/called-back")
@login_required(("operator", "supervisor", "admin"))
def called_back(call_id: int):
    return jsonify(call_to_dict(call_actions.mark_called_back(call_id, g.user)))


def _instant(f: Fields, name: str) -> dt.datetime | None:
    raw = f.string(name, required=True, max_len=40)
    if raw is None:
        return None
    try:
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        f.errors[name] = "an ISO 8601 date-time"
        return None
    return (value if value.tzinfo else value.replace(tzinfo=TZ)).astimezone(dt.UTC)


def slot_to_dict(s: LeaderSlot) -> dict:
    return {
        "id": s.id,
        "user_id": s.user_id,
        "username": s.user.username,
        "display_name": s.user.display_name,
        "starts_at": iso(s.starts_at),
        "ends_at": iso(s.ends_at),
        "note": s.note,
    }


@bp.get("/leader-slots")
@login_required(CENTRE)
def list_leader_slots():
    rows = db.session.scalars(
        select(LeaderSlot).where(LeaderSlot.ends_at > utcnow() - dt.timedelta(days=30)).order_by(LeaderSlot.starts_at)
    )
    return jsonify([slot_to_dict(s) for s in rows])


@bp.post("/leader-slots")
@login_required(SUPERVISORS)
def add_leader_slot():
    f = Fields(json_body())
    username = f.string("leader", required=True, max_len=64)
    starts_at, ends_at = _instant(f, "starts_at"), _instant(f, "ends_at")
    note = f.string("note", max_len=200)
    leader = db.session.scalar(select(User).where(User.username == username)) if username else None
    if username and leader is None:
        f.errors["leader"] = "unknown user"
    f.done()
    assert leader is not None and starts_at is not None and ends_at is not None
    slot = call_actions.add_leader_slot(leader.id, starts_at, ends_at, note, g.user)
    return jsonify(slot_to_dict(slot)), 201


@bp.delete("/leader-slots/<int:slot_id>")
@login_required(SUPERVISORS)
def delete_leader_slot(slot_id: int):
    call_actions.remove_leader_slot(slot_id)
    return "", 204


def _day(name: str) -> dt.date:
    raw = request.args.get(name, "")
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(f"{name} must be a date", fields={name: "YYYY-MM-DD"}) from None


@bp.get("/reports/calls")
@login_required(("supervisor", "leader", "admin"))
def call_report():
    """Call-centre figures for local days from..to (inclusive), Asia/Shanghai."""
    first, last = _day("from"), _day("to")
    if last < first:
        raise ValidationError("to is before from", fields={"to": "on or after from"})
    start = dt.datetime.combine(first, dt.time(), TZ)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), TZ)
    return jsonify(call_centre_figures(start, end))
