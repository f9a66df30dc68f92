"""Supervision records kept for the reports: hotspot alerts and the log of personal-data reads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.extensions import db
from hotline.models.base import UTCDateTime, utcnow
from hotline.models.tickets import BigId


class HotspotAlert(db.Model):
    """热点预警: a category x region whose count in the sliding window is well above its own baseline."""

    __tablename__ = "hotspot_alerts"
    __table_args__ = (Index("ix_hotspot_alerts_pair_window", "category_code", "region_code", "window_end"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    category_code: Mapped[str] = mapped_column(ForeignKey("categories.code"))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    count: Mapped[int] = mapped_column(Integer)
    # The mean count per window over the baseline days before the window.
    baseline: Mapped[float] = mapped_column(db.Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ContactRead(db.Model):
    """One read of a caller's personal data (unmasked phone and name) by department staff."""

    __tablename__ = "contact_reads"
    __table_args__ = (Index("ix_contact_reads_at", "at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ip: Mapped[str | None] = mapped_column(String(64))
