"""The call centre: call records, operators' presence, leader answering slots, incoming SMS."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.extensions import db
from hotline.models.base import UTCDateTime, utcnow
from hotline.models.people import User
from hotline.models.tickets import BigId

# 话后处理 (after_call): wrapping up after a call; a timer (after_call_until) returns the operator to available.
PRESENCE = ("available", "busy", "after_call", "away")
# How far a call has got. Status callbacks may arrive late, twice or out of order: a record only ever
# moves forward in this order, so the last word is the furthest state, whatever order they came in.
CALL_STATUS_RANK = {
    "queued": 0,
    "initiated": 0,
    "ringing": 1,
    "in-progress": 2,
    "completed": 3,
    "busy": 3,
    "failed": 3,
    "no-answer": 3,
    "canceled": 3,
}
OUTCOMES = ("answered", "abandoned", "voicemail", "self_service", "missed", "no_answer", "failed")


class OperatorPresence(db.Model):
    """话务员状态: available / busy / after_call / away, and since when (the longest idle gets the next call)."""

    __tablename__ = "operator_presence"
    __table_args__ = (Index("ix_operator_presence_status_changed", "status", "changed_at"),)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(12))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The call that made the operator busy: when it ends the operator is available again.
    current_call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"))
    # After-call work ends here; past it the operator counts as available (the timer job also says so).
    after_call_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Not joined: presence rows are locked (FOR UPDATE) when a call claims an operator.
    user: Mapped[User] = relationship(lazy="select")


class Call(db.Model):
    """One call (来电 or an outbound call-back), updated by Twilio's webhooks and status callbacks."""

    __tablename__ = "calls"
    __table_args__ = (
        Index("ix_calls_started_at", "started_at"),
        # The hold queue: calls waiting for an operator, oldest first.
        Index(
            "ix_calls_queue", "offered_at", postgresql_where=text("queued AND answered_at IS NULL AND ended_at IS NULL")
        ),
        Index(
            "ix_calls_callback_list", "started_at", postgresql_where=text("callback_needed AND called_back_at IS NULL")
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    direction: Mapped[str] = mapped_column(String(10))  # inbound | outbound
    from_number: Mapped[str] = mapped_column(String(32))
    to_number: Mapped[str] = mapped_column(String(32))
    # The merged line the call came in on (12315 ...), or 12345.
    line: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(16))
    menu_choice: Mapped[str | None] = mapped_column(String(8))
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    # The missed call this outbound call calls back.
    callback_of_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # ringing at the centre
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # asked for an operator
    queued: Mapped[bool] = mapped_column(Boolean, default=False)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    wait_seconds: Mapped[int | None] = mapped_column(Integer)
    talk_seconds: Mapped[int | None] = mapped_column(Integer)
    recording_url: Mapped[str | None] = mapped_column(String(500))
    callback_needed: Mapped[bool] = mapped_column(Boolean, default=False)
    called_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_check_failures: Mapped[int] = mapped_column(Integer, default=0)
    # 保持: the caller is on hold (moved to hold music through the provider) since then; the operator's leg that
    # the move ends is not the end of the call.
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # 咨询转接 (warm transfer) in progress: who was brought into the call (`department:<code>` or `user:<id>`).
    consult_target: Mapped[str | None] = mapped_column(String(64))
    # The last transfer of the call: blind | warm, to whom (same notation as consult_target), and when.
    transfer_kind: Mapped[str | None] = mapped_column(String(8))
    transferred_to: Mapped[str | None] = mapped_column(String(64))
    transferred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    operator: Mapped[User | None] = relationship(lazy="select", foreign_keys=[operator_id])


class LeaderSlot(db.Model):
    """领导接听: a leader answers the hotline in this period; calls reach the leader's console first."""

    __tablename__ = "leader_slots"
    __table_args__ = (Index("ix_leader_slots_period", "starts_at", "ends_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(lazy="joined", foreign_keys=[user_id])


class SmsMessage(db.Model):
    """An incoming SMS, kept by its MessageSid so a retried webhook is answered, not processed, again."""

    __tablename__ = "sms_messages"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_sid: Mapped[str] = mapped_column(String(64), unique=True)
    from_number: Mapped[str] = mapped_column(String(32))
    to_number: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(12))  # intake | status | opt_out | other
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
