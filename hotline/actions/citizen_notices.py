"""What the citizen is told by SMS (the loop closed for every channel, the phone included): the receipt
at intake (ticket number + retrieval code), the close (办结; a merged ticket names the ticket it joined),
and a new retrieval code on request (忘记提取码).

Receipts and closes go through `hotline.tasks.notify.send_sms` with `unless_opted_out`, which checks the
do-not-call list (an SMS `TD`) when it sends, so an opt-out that arrives after the intake still holds. A code
the caller asked for is sent whatever that list says: it is the answer to their own request.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select

from hotline import outbox, timeline
from hotline.deadlines.calendar import TZ
from hotline.errors import ValidationError
from hotline.extensions import db
from hotline.models import Caller, Ticket, TimelineEvent
from hotline.models.base import utcnow
from hotline.retrieval_codes import hash_retrieval_code, new_code
from hotline.upsert import upsert
from hotline.validation import normalize_phone

# Mainland China mobile numbers as normalize_phone stores them (E.164): only these can receive an SMS.
MAINLAND_MOBILE = re.compile(r"^\+861[3-9]\d{9}$")
RESENDS_PER_DAY = 3  # per ticket, counted on its timeline (Asia/Shanghai days)


def is_mainland_mobile(phone: str | None) -> bool:
    return bool(phone) and MAINLAND_MOBILE.match(phone) is not None


def receipt_text(number: str, code: str) -> str:
    return f"【12345】您的诉求已受理，工单号{number}，提取码{code}，可凭此查询办理进度。回复TD退订。"


def receipt_row(phone: str | None, number: str, code: str, ticket_id: int) -> dict | None:
    """The intake receipt's outbox row, or None when the number cannot take an SMS (a landline, a foreign number)
    or has had its receipts for the day (hotline.receipts: mainland mobiles only, at most 3 a day)."""
    from hotline.receipts import receipt_phone

    mobile = receipt_phone(phone)
    if mobile is None:
        return None
    return outbox.job_row("hotline.tasks.notify.send_sms", [mobile, receipt_text(number, code), ticket_id, True])


_DO_NOT_CALL = upsert(Caller, ("phone", "do_not_call", "created_at"), on=("phone",), set_={"do_not_call": "true"})


def mark_do_not_call(phone: str, now: dt.datetime) -> None:
    """退订 (an SMS `TD`): the number goes on the do-not-call list, known caller or not, in the caller's
    transaction (one statement, no race with a concurrent first message)."""
    db.session.execute(_DO_NOT_CALL, {"phone": phone, "do_not_call": True, "created_at": now})


def add_close_notice(ticket: Ticket) -> None:
    """办结: the caller learns the ticket closed; a merged ticket names the one it was merged into."""
    if ticket.caller_id is None:
        return
    phone = db.session.scalar(select(Caller.phone).where(Caller.id == ticket.caller_id))
    if not is_mainland_mobile(phone):
        return
    if ticket.merged_into_id is not None:
        into = db.session.scalar(select(Ticket.number).where(Ticket.id == ticket.merged_into_id))
        body = (
            f"【12345】您的工单{ticket.number}反映的问题已并入工单{into}一并办理，"
            f"请关注工单{into}的办理结果。回复TD退订。"
        )
    else:
        body = f"【12345】您的工单{ticket.number}已办结，感谢您的来电。可凭工单号和提取码查询办理结果。回复TD退订。"
    outbox.add(outbox.job_row("hotline.tasks.notify.send_sms", [phone, body, ticket.id, True]))


def resend_code(number: str, phone: object, now: dt.datetime | None = None) -> bool:
    """忘记提取码: when `phone` is the ticket's caller's mobile, a new code replaces the old one and is sent to
    it; at most RESENDS_PER_DAY a ticket a day. The answer to the public is the same whatever happens (no
    enumeration); the return value (sent or not) is for tests and logs only."""
    normalized = normalize_phone(phone)
    if normalized is None:
        raise ValidationError("phone is not a phone number", fields={"phone": "a mobile number"})
    now = now or utcnow()
    try:
        ticket = db.session.scalar(select(Ticket).where(Ticket.number == number[:24]).with_for_update())
        if ticket is None or ticket.caller_id is None:
            return False
        caller_phone = db.session.scalar(select(Caller.phone).where(Caller.id == ticket.caller_id))
        if caller_phone != normalized or not is_mainland_mobile(caller_phone):
            return False
        midnight = dt.datetime.combine(now.astimezone(TZ).date(), dt.time(0), TZ)
        sent_today = db.session.scalar(
            select(func.count())
            .select_from(TimelineEvent)
            .where(
                TimelineEvent.ticket_id == ticket.id,
                TimelineEvent.action == "code-resent",
                TimelineEvent.at >= midnight,
            )
        )
        if sent_today >= RESENDS_PER_DAY:
            return False
        code = new_code()
        ticket.retrieval_code_hash = hash_retrieval_code(ticket.number, code)
        timeline.add(ticket.id, "code-resent", None, now, ticket.status, ticket.status, actor_label="citizen")
        body = f"【12345】您的工单{ticket.number}新的提取码为{code}，原提取码已失效。如非本人操作请忽略。"
        outbox.add_sms(caller_phone, body, ticket.id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    outbox.kick()
    return True
