"""The public status check: ticket number + retrieval code. Wrong number and wrong code look alike."""

from __future__ import annotations

import hmac

from flask import jsonify, request

from hotline import codeguard, fastpath
from hotline.actions import citizen_notices
from hotline.actions.intake import hash_retrieval_code
from hotline.api import bp
from hotline.api.auth import json_body
from hotline.api.serialize import iso
from hotline.errors import NotFound, ValidationError
from hotline.models import Ticket
from hotline.models.base import as_utc
from hotline.workflow import PUBLIC_STATUS, Status

_COLUMNS = (
    Ticket.number,
    Ticket.retrieval_code_hash,
    Ticket.status,
    Ticket.created_at,
    Ticket.due_at,
    Ticket.reply_text,
    Ticket.reply_approved_at,
    Ticket.answer_text,
    Ticket.closed_at,
)
# On the driver's cursor (the busiest public endpoint; one round trip, no SQLAlchemy).
_BY_NUMBER_SQL = f"SELECT {', '.join(c.key for c in _COLUMNS)} FROM tickets WHERE number = %s"


def public_status(number: str, code: str) -> dict:
    """The public status, or NotFound (wrong number and wrong code alike), or TooManyCodeGuesses (429) once the
    number has had its wrong codes for the hour, whatever the channel."""
    codeguard.check(number)
    row = fastpath.autocommit_fetch_one(_BY_NUMBER_SQL, (number,))
    expected = hash_retrieval_code(number, code or "")
    if row is None or not hmac.compare_digest(row.retrieval_code_hash, expected):
        codeguard.record_wrong(number)
        raise NotFound("no ticket with this number and code")
    reply = row.reply_text if row.reply_approved_at else row.answer_text
    return {
        "number": row.number,
        "status": PUBLIC_STATUS[Status(row.status)],
        "received_at": iso(as_utc(row.created_at)),
        "due_at": iso(as_utc(row.due_at)),
        "closed_at": iso(as_utc(row.closed_at)),
        "reply": reply,
    }


@bp.get("/public/tickets/<number>")
def public_ticket(number: str):
    return jsonify(public_status(number, request.args.get("code", "")))


@bp.post("/public/tickets/<number>/code")
def public_code_resend(number: str):
    """忘记提取码: {"phone"}. Always 202 (a wrong number and a wrong phone look alike); when the phone is the
    caller's mobile, a new code (the old one stops working) goes to it by SMS, at most 3 a ticket a day."""
    body = json_body()
    assert isinstance(body, dict)
    if not isinstance(body.get("phone"), str) or not body["phone"].strip():
        raise ValidationError("phone is required", fields={"phone": "the caller's mobile number"})
    citizen_notices.resend_code(number, body["phone"])
    return jsonify({"status": "accepted"}), 202


@bp.get("/public/rankings")
def public_rankings():
    """办理情况公开: each department's figures and rank for a month that has ended (?month=YYYY-MM)."""
    from hotline.reports.public_rankings import parse_month, published_rankings

    return jsonify(published_rankings(parse_month(request.args.get("month"))))
