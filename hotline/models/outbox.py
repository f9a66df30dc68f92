"""The transactional outbox: what to deliver after a commit (jobs, SMS, socket events)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.extensions import db
from hotline.models.base import UTCDateTime, utcnow
from hotline.models.tickets import BigId


class OutboxMessage(db.Model):
    __tablename__ = "outbox"
    __table_args__ = (
        # Only undelivered rows are indexed, so the relay's scan stays small however long the history.
        Index(
            "ix_outbox_pending",
            "next_attempt_at",
            postgresql_where=text("delivered_at IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))  # job | socket
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
