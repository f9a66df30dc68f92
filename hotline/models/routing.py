"""Routing (按责转办): the audit of catalogue rule changes, the stored suggestion models, the
near-duplicate signatures of tickets, and the repeat-complaint flags."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.extensions import db
from hotline.models.base import UTCDateTime, utcnow
from hotline.models.tickets import BigId


class DispatchRuleChange(db.Model):
    """Who changed which dispatch rule, when and why, with the old and new values (FixMyStreet's
    audited category edits). Kept when the rule itself is deleted."""

    __tablename__ = "dispatch_rule_changes"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule_id: Mapped[int | None] = mapped_column(Integer, index=True)  # no FK: the rule may be gone
    op: Mapped[str] = mapped_column(String(12))  # create | update | delete
    category_path: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(12), default="")
    old: Mapped[dict | None] = mapped_column(JSON)
    new: Mapped[dict | None] = mapped_column(JSON)
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class SuggestionModel(db.Model):
    """A trained dispatch suggester (智能派单), versioned; the web process loads the active one."""

    __tablename__ = "suggestion_models"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    source: Mapped[str] = mapped_column(String(16))  # catalogue | tickets
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    n_samples: Mapped[int] = mapped_column(Integer)
    n_labels: Mapped[int] = mapped_column(Integer)
    metrics: Mapped[dict | None] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    trained_by: Mapped[str | None] = mapped_column(String(64))


class TicketSignature(db.Model):
    """One LSH band of a ticket's MinHash signature: tickets sharing a band key are candidate
    near-duplicates. Written in the intake transaction; looked up by the key index, never scanned."""

    __tablename__ = "ticket_signatures"
    # The lookup reads (key, time window) from the index alone: the ticket id rides in the index.
    __table_args__ = (Index("ix_ticket_signatures_key_created", "band_key", "created_at", "ticket_id"),)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    band: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    band_key: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the ticket's, for the 30-day window


class RepeatComplaint(db.Model):
    """反复投诉: one caller, 3+ tickets about one matter within 30 days; listed for supervision."""

    __tablename__ = "repeat_complaints"
    __table_args__ = (Index("ix_repeat_complaints_open", "resolved_at", "updated_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    caller_id: Mapped[int] = mapped_column(ForeignKey("callers.id"), index=True)
    first_ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    last_ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    ticket_ids: Mapped[list] = mapped_column(JSON)
    count: Mapped[int] = mapped_column(Integer)
    matter: Mapped[str] = mapped_column(String(16))  # category | address | text
    flagged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
