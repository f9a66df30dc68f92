"""The public status check (ticket number + retrieval code), shared by the public API, the /track page and the
phone channels (IVR, SMS). Wrong number and wrong code look alike."""

from __future__ import annotations

import hmac

from hotline import codeguard, fastpath
from hotline.errors import NotFound
from hotline.models import Ticket
from hotline.models.base import as_utc, iso
from hotline.retrieval_codes import hash_retrieval_code
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
