"""Callback surveys (回访): one callback per ticket round, and every attempt at it (call, SMS, by hand)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.extensions import db
from hotline.models.base import UTCDateTime, utcnow
from hotline.models.tickets import BigId, Ticket

# Callback statuses: still running, and finished.
CALLBACK_OPEN = ("scheduled", "calling", "sms_sent")
CALLBACK_DONE = ("answered", "unreachable", "opted_out", "cancelled")


class Callback(db.Model):
    """回访: the satisfaction survey of one round of a ticket (a reopened ticket gets a second round).

    `seq` names the one job that may advance it: each step bumps it, so a late or duplicate job
    finds a different number and does nothing."""

    __tablename__ = "callbacks"
    __table_args__ = (
        UniqueConstraint("ticket_id", "round", name="uq_callbacks_ticket_round"),
        Index("ix_callbacks_status_next", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    round: Mapped[int] = mapped_column(SmallInteger)
    reason: Mapped[str] = mapped_column(String(12))  # reply | direct (a sampled direct answer)
    status: Mapped[str] = mapped_column(String(12), default="scheduled")
    phone: Mapped[str | None] = mapped_column(String(20))
    call_attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    seq: Mapped[int] = mapped_column(Integer, default=1)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved: Mapped[int | None] = mapped_column(SmallInteger)
    satisfaction: Mapped[int | None] = mapped_column(SmallInteger)
    answered_via: Mapped[str | None] = mapped_column(String(8))  # call | sms | manual
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    ticket: Mapped[Ticket] = relationship(lazy="select")
    attempts: Mapped[list[CallbackAttempt]] = relationship(
        back_populates="callback", lazy="select", order_by="CallbackAttempt.id"
    )


class CallbackAttempt(db.Model):
    """One try at a callback: an outbound survey call, the SMS survey, or a supervisor's manual call."""

    __tablename__ = "callback_attempts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    callback_id: Mapped[int] = mapped_column(ForeignKey("callbacks.id"), index=True)
    channel: Mapped[str] = mapped_column(String(8))  # call | sms | manual
    number: Mapped[int] = mapped_column(SmallInteger)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The call's or message's sid at the provider (Twilio CallSid, or the console's).
    provider_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    # None while running; then answered | completed | incomplete | no-answer | busy | failed | canceled |
    # error | timeout | expired | replied | refused | wrong-number
    outcome: Mapped[str | None] = mapped_column(String(16))
    resolved: Mapped[int | None] = mapped_column(SmallInteger)
    satisfaction: Mapped[int | None] = mapped_column(SmallInteger)
    note: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    callback: Mapped[Callback] = relationship(back_populates="attempts")
