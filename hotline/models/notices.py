"""Notices to departments (部门通知): an in-console inbox per user, and what each department wants to be told."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.extensions import db
from hotline.models.base import UTCDateTime, utcnow
from hotline.models.tickets import BigId

# What a department is told about: a new ticket (dispatch or sub-dispatch), a deadline warning, an overdue
# ticket, urging (催办) and supervision (督办).
NOTICE_KINDS = ("dispatch", "sub-dispatch", "warning", "overdue", "urge", "supervise")


class Notice(db.Model):
    """One notice in one user's inbox; unread while `read_at` is NULL."""

    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_user_read", "user_id", "read_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NoticePreference(db.Model):
    """Whether a department's liaison gets an SMS and its users an inbox notice for one kind of notice.
    The row without a department holds the admins' default for every department without its own choice."""

    __tablename__ = "notice_preferences"
    __table_args__ = (UniqueConstraint("department_id", "kind", name="uq_notice_preferences_department_kind"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    kind: Mapped[str] = mapped_column(String(16))
    sms: Mapped[bool] = mapped_column(Boolean)
    inbox: Mapped[bool] = mapped_column(Boolean)
