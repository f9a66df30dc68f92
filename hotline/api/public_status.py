"""The public status check: ticket number + retrieval code. Wrong number and wrong code look alike."""

from __future__ import annotations

from flask import jsonify, request
from sqlalchemy import bindparam, select

from hotline.actions.intake import hash_retrieval_code
from hotline.api import bp
from hotline.api.serialize import iso
from hotline.errors import NotFound
from hotline.extensions import autocommit_engine
from hotline.models import Ticket
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
_BY_NUMBER = select(*_COLUMNS).where(Ticket.number == bindparam("number"))


def public_status(number: str, code: str) -> dict:
    import hmac

    with autocommit_engine().connect() as conn:
        row = conn.execute(_BY_NUMBER, {"number": number}).first()
    expected = hash_retrieval_code(number, code or "")
    if row is None or not hmac.compare_digest(row.retrieval_code_hash, expected):
        raise NotFound("no ticket with this number and code")
    reply = row.reply_text if row.reply_approved_at else row.answer_text
    return {
        "number": row.number,
        "status": PUBLIC_STATUS[Status(row.status)],
        "received_at": iso(row.created_at),
        "due_at": iso(row.due_at),
        "closed_at": iso(row.closed_at),
        "reply": reply,
    }


@bp.get("/public/tickets/<number>")
def public_ticket(number: str):
    return jsonify(public_status(number, request.args.get("code", "")))
