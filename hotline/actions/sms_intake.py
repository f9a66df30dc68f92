"""SMS to the hotline number (短信): `CX <number> <code>` asks a ticket's status, `TD` opts out of texts and survey
calls, anything else becomes a ticket. Idempotent on the MessageSid (a retried webhook changes nothing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select, update

from hotline.actions import citizen_notices
from hotline.actions.calls import _commit, line_for
from hotline.actions.intake import IntakeData, create_ticket
from hotline.errors import NotFound, ValidationError
from hotline.extensions import db
from hotline.models import SmsMessage, Ticket
from hotline.models.base import utcnow
from hotline.upsert import upsert

_CX = re.compile(r"^\s*CX\s+([A-Za-z]{0,4}\d{6,20})\s+(\d{4,8})\s*$", re.IGNORECASE)


@dataclass
class SmsResult:
    kind: str  # intake | status | opt_out | empty
    duplicate: bool
    reply: dict | None = None  # for status: the public status, or {} when not found
    ticket_id: int | None = None


# A retried webhook (the same MessageSid) inserts nothing and gets no id back (hotline.upsert).
_INSERT_SMS = upsert(
    SmsMessage,
    ("message_sid", "from_number", "to_number", "body", "kind", "received_at"),
    on=("message_sid",),
    returning=("id",),
)


def incoming_sms(message_sid: str, from_number: str, to_number: str, body: str) -> SmsResult:
    """短信: `CX <number> <code>` asks the status, `TD` opts out of texts and survey calls, anything else
    is a request and becomes a ticket (the receipt with number and code goes out through the outbox)."""
    from hotline.actions.status_lookup import public_status
    from hotline.validation import normalize_phone

    text = (body or "").strip()
    m = _CX.match(text)
    kind = "status" if m else "opt_out" if text.upper() in ("TD", "T", "退订") else "intake" if text else "empty"
    try:
        now = utcnow()
        inserted = db.session.execute(
            _INSERT_SMS,
            {
                "message_sid": message_sid,
                "from_number": from_number,
                "to_number": to_number,
                # A status query's retrieval code is never stored in clear.
                "body": (f"CX {m.group(1)} {'*' * len(m.group(2))}" if m else text)[:4000],
                "kind": kind,
                "received_at": now,
            },
        ).scalar()
        duplicate = inserted is None
        phone = normalize_phone(from_number)
        if kind == "status":
            assert m is not None
            number = m.group(1).upper()
            if number.isdigit():
                number = current_app.config["TICKET_PREFIX"] + number
            from hotline.codeguard import TooManyCodeGuesses

            try:
                reply = public_status(number, m.group(2))
            except (NotFound, TooManyCodeGuesses):
                reply = {}
            _commit()
            return SmsResult(kind, duplicate, reply)
        if duplicate or kind == "empty":
            existing = db.session.scalar(select(SmsMessage.ticket_id).where(SmsMessage.message_sid == message_sid))
            _commit()
            return SmsResult(kind, duplicate, ticket_id=existing)
        if kind == "opt_out":
            if phone:
                citizen_notices.mark_do_not_call(phone, now)
            _commit()
            return SmsResult(kind, False)
        if phone is None:
            _commit()
            raise ValidationError("not a phone number we can answer", fields={"From": "not a valid phone number"})
        data = IntakeData(
            channel="sms",
            type="help",
            urgency="normal",
            content=text[:4000],
            caller_phone=phone,
            line=line_for(to_number),
        )

        def link(ticket: Ticket, _code: str) -> None:
            db.session.execute(update(SmsMessage).where(SmsMessage.id == inserted).values(ticket_id=ticket.id))

        ticket, _ = create_ticket(data, None, before_commit=link)
        return SmsResult(kind, False, ticket_id=ticket.id)
    except BaseException:
        db.session.rollback()
        raise
