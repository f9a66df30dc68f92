"""The softphone's side of the API: the Twilio access token, and (console provider) the operator's leg of a
call answered or hung up from the console, as Twilio's status callbacks would report it."""

from __future__ import annotations

from flask import current_app, g, jsonify
from sqlalchemy import select

from hotline.actions import call_control, call_records
from hotline.actions import calls as call_actions
from hotline.api import bp
from hotline.api.auth import login_required
from hotline.api.calls import call_to_dict
from hotline.errors import DomainError

TAKES_CALLS = ("operator", "supervisor", "leader", "admin")


class TelephonyNotConfigured(DomainError):
    status = 409
    code = "telephony_not_configured"


@bp.get("/telephony/token")
@login_required(TAKES_CALLS)
def telephony_token():
    """{token, identity}: a Twilio Access Token with a Voice grant for this user's softphone (one hour)."""
    from integrations.twilio.tokens import missing_settings, voice_token
    from integrations.twilio.twiml import client_identity

    missing = missing_settings(current_app.config)
    if missing:
        raise TelephonyNotConfigured(
            "the browser softphone is not configured: set " + ", ".join(missing),
            fields={name: "not set" for name in missing},
        )
    identity = client_identity(g.user.id)
    return jsonify({"token": voice_token(current_app.config, identity), "identity": identity})


def _console_only() -> None:
    if current_app.config["TELEPHONY"] != "console":
        raise DomainError("with Twilio the softphone itself answers and hangs up", code="not_console", status=409)


@bp.post("/calls/<int:call_id>/console/answer")
@login_required(TAKES_CALLS)
def console_answer(call_id: int):
    """The console provider: the operator the call rings at answers it from the console."""
    _console_only()
    return jsonify(call_to_dict(_console_leg(call_id, "in-progress")))


@bp.post("/calls/<int:call_id>/console/hang-up")
@login_required(TAKES_CALLS)
def console_hang_up(call_id: int):
    _console_only()
    return jsonify(call_to_dict(_console_leg(call_id, "completed")))


def _console_leg(call_id: int, status: str):
    from hotline.extensions import db
    from hotline.models import Call

    direction = db.session.scalar(select(Call.direction).where(Call.id == call_id))
    if direction == "outbound":
        return call_control.console_outbound_leg(call_id, g.user, status)
    return call_actions.console_leg(call_id, g.user, status)


@bp.post("/calls/outgoing")
@login_required(TAKES_CALLS)
def console_outgoing():
    """The console provider's softphone calls out (with Twilio the softphone's device.connect() reaches the TwiML
    app's voice URL instead): `{"to", "callback_of"?, "ticket"?}` → 201 and the outbound call record."""
    import uuid

    from hotline.api.auth import json_body
    from hotline.validation import Fields, dialable_number

    _console_only()
    f = Fields(json_body())
    raw = f.string("to", required=True, max_len=40)
    callback_of = f.integer("callback_of", lo=1)
    ticket = f.integer("ticket", lo=1)
    number = dialable_number(raw, current_app.config.get("PHONE_REGION") or "CN") if raw else None
    if raw and number is None:
        f.errors["to"] = "not a valid phone number"
    f.done()
    assert number is not None
    call = call_control.outgoing_call("CONSOLE" + uuid.uuid4().hex, g.user, number, callback_of, ticket)
    return jsonify(call_to_dict(call)), 201


@bp.post("/calls/<int:call_id>/tickets")
@login_required(TAKES_CALLS)
def ticket_from_call(call_id: int):
    """The intake form of a call (the operator's, or the leader's on duty for calls routed to them): 201 and the
    ticket, linked to the call."""
    from hotline.actions.intake import parse_intake
    from hotline.api.auth import json_body
    from hotline.api.serialize import tickets_to_dicts

    data = parse_intake(json_body())
    ticket, code = call_records.ticket_from_call(call_id, data, g.user)
    known = {ticket.caller_id: (data.caller_phone, data.caller_name)} if ticket.caller_id else {}
    body = tickets_to_dicts([ticket], g.user, known_callers=known, fresh=True)[0]
    body["retrieval_code"] = code  # shown once, to be read out to the caller
    body["call_id"] = call_id
    return jsonify(body), 201


@bp.post("/calls/<int:call_id>/transfer")
@login_required(TAKES_CALLS)
def transfer(call_id: int):
    """转接 a call in progress: `{"department": code}` (its hotline number) or `{"supervisor": true}`; 202."""
    from hotline.api.auth import json_body
    from hotline.validation import Fields

    f = Fields(json_body())
    department = f.string("department", max_len=32)
    supervisor = f.boolean("supervisor")
    f.done()
    return jsonify(call_to_dict(call_control.transfer_call(call_id, g.user, department, supervisor))), 202


@bp.post("/calls/<int:call_id>/hold")
@login_required(TAKES_CALLS)
def hold(call_id: int):
    """保持: the caller hears the hold music (a worker moves the leg); 202."""
    return jsonify(call_to_dict(call_control.hold_call(call_id, g.user))), 202


@bp.post("/calls/<int:call_id>/resume")
@login_required(TAKES_CALLS)
def resume(call_id: int):
    """恢复: the caller's leg dials the operator again; 202."""
    return jsonify(call_to_dict(call_control.resume_call(call_id, g.user))), 202


@bp.post("/calls/<int:call_id>/consult")
@login_required(TAKES_CALLS)
def consult(call_id: int):
    """咨询转接: bring `{"department": code}` (its hotline number) or `{"supervisor": true}` into the call; 202."""
    from hotline.api.auth import json_body
    from hotline.validation import Fields

    f = Fields(json_body())
    department = f.string("department", max_len=32)
    supervisor = f.boolean("supervisor")
    f.done()
    return jsonify(call_to_dict(call_control.start_consult(call_id, g.user, department, supervisor))), 202


@bp.post("/calls/<int:call_id>/consult/complete")
@login_required(TAKES_CALLS)
def consult_complete(call_id: int):
    """Leave the caller with the person consulted; 202."""
    return jsonify(call_to_dict(call_control.complete_consult(call_id, g.user))), 202


@bp.post("/calls/<int:call_id>/consult/cancel")
@login_required(TAKES_CALLS)
def consult_cancel(call_id: int):
    """Take the caller back (the person consulted leaves); 202."""
    return jsonify(call_to_dict(call_control.cancel_consult(call_id, g.user))), 202
