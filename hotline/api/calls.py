"""The call centre's API: operators' presence, call records and the call-back list, leader answering slots
(领导接听), and the call-centre figures for supervisors."""

from __future__ import annotations

import datetime as dt

from flask import g, jsonify, request, send_file
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hotline.access import mask_phone
from hotline.actions import call_records
from hotline.actions import presence as presence_actions
from hotline.api import bp
from hotline.api.auth import json_body, login_required
from hotline.api.serialize import iso
from hotline.deadlines.calendar import TZ
from hotline.errors import NotFound, ValidationError
from hotline.extensions import db
from hotline.models import Call, LeaderSlot, OperatorPresence, Ticket, User
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


def call_to_dict(c: Call, user=None, ticket_number: str | None = None) -> dict:
    """A call record. A leader sees callers' numbers masked, except on the calls routed to them; the recording is
    our URL (the audio the worker fetched), never Twilio's."""
    caller = c.from_number
    if user is not None and user.role == "leader" and c.operator_id != user.id:
        caller = mask_phone(caller) or caller
    has_audio = (c.recording_url or "").startswith("https://")
    return {
        "id": c.id,
        "call_sid": c.call_sid,
        "direction": c.direction,
        "from": caller,
        "operator_name": c.operator.display_name if c.operator_id and c.operator else None,
        "ticket_number": ticket_number,
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
        "voicemail": bool(c.recording_url),
        "recording": f"/api/v1/calls/{c.id}/recording" if has_audio else None,
        "callback_needed": c.callback_needed,
        "called_back_at": iso(c.called_back_at),
        "held": c.held_at is not None,
        "consult_target": c.consult_target,
        "transfer_kind": c.transfer_kind,
        "transferred_to": c.transferred_to,
        "transferred_at": iso(c.transferred_at),
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
    """Newest first, 50 a page; `date` (a local day), `callback=1` (the call-back list: missed, not yet called
    back), `voicemail=1` (voice messages), `outcome`."""
    query = select(Call).options(selectinload(Call.operator)).order_by(Call.id.desc())
    if request.args.get("callback") in ("1", "true"):
        query = query.where(Call.callback_needed.is_(True), Call.called_back_at.is_(None))
    if request.args.get("voicemail") in ("1", "true"):
        query = query.where(Call.recording_url.is_not(None))
    if outcome := request.args.get("outcome"):
        query = query.where(Call.outcome == outcome)
    if request.args.get("date"):
        day = _day("date")
        start = dt.datetime.combine(day, dt.time(), TZ)
        query = query.where(Call.started_at >= start, Call.started_at < start + dt.timedelta(days=1))
    per_page = 50
    rows = list(db.session.scalars(query.limit(per_page).offset((_page() - 1) * per_page)))
    ids = {c.ticket_id for c in rows if c.ticket_id}
    numbers = dict(db.session.execute(select(Ticket.id, Ticket.number).where(Ticket.id.in_(ids))).all()) if ids else {}
    return jsonify([call_to_dict(c, g.user, numbers.get(c.ticket_id)) for c in rows])


@bp.get("/calls/<int:call_id>")
@login_required(CENTRE)
def get_call(call_id: int):
    call = db.session.get(Call, call_id)
    if call is None:
        raise NotFound("no such call")
    number = db.session.scalar(select(Ticket.number).where(Ticket.id == call.ticket_id)) if call.ticket_id else None
    return jsonify(call_to_dict(call, g.user, number))


@bp.get("/calls/<int:call_id>/recording")
@login_required(CENTRE)
def call_recording(call_id: int):
    """The voice message's audio, as the worker fetched it from Twilio (hotline.tasks.calls)."""
    from hotline.tasks.calls import recording_path

    call = db.session.get(Call, call_id)
    if call is None or not (call.recording_url or "").startswith("https://"):
        raise NotFound("no recording for this call")
    path = recording_path(call.id)
    if not path.exists():
        raise NotFound("the recording has not been fetched from Twilio yet", code="recording_pending")
    return send_file(path, mimetype="audio/wav", conditional=True, max_age=0)


@bp.post("/calls/<int:call_id>/ticket")
@login_required(("operator", "supervisor", "admin"))
def link_call(call_id: int):
    f = Fields(json_body())
    ticket_id = f.integer("ticket", required=True, lo=1)
    f.done()
    return jsonify(call_to_dict(call_records.link_call_ticket(call_id, ticket_id or 0, g.user)))


@bp.post("/calls/<int:call_id>/call-back")
@login_required(("operator", "supervisor", "admin"))
def call_back(call_id: int):
    """Place the call-back (through the outbox; a worker asks Twilio): 202, the call record."""
    return jsonify(call_to_dict(call_records.request_call_back(call_id, g.user))), 202


@bp.post("/calls/<int:call_id>/called-back")
@login_required(("operator", "supervisor", "admin"))
def called_back(call_id: int):
    return jsonify(call_to_dict(call_records.mark_called_back(call_id, g.user)))


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
    slot = call_records.add_leader_slot(leader.id, starts_at, ends_at, note, g.user)
    return jsonify(slot_to_dict(slot)), 201


@bp.delete("/leader-slots/<int:slot_id>")
@login_required(SUPERVISORS)
def delete_leader_slot(slot_id: int):
    call_records.remove_leader_slot(slot_id)
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
