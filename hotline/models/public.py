"""What citizens and other cities' software send besides the ticket itself: photos and public-channel details."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.extensions import db
from hotline.models.base import UTCDateTime, utcnow
from hotline.models.tickets import BigId, Ticket


class Attachment(db.Model):
    """A photo sent with a web message (附件). The file lives under UPLOAD_DIR by a random name; never public."""

    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    # The type found by looking at the bytes (image/jpeg ...), never the one the browser claimed.
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(80), unique=True)
    # The sender's file name, cleaned, for staff only.
    original_name: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PublicSubmission(db.Model):
    """How a ticket came in from a public channel (web form or Open311): location, client, Open311 token."""

    __tablename__ = "public_submissions"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    source: Mapped[str] = mapped_column(String(12))  # web | open311
    # The Open311 key (api_tokens row) that submitted it: that client may read the request back.
    api_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"), index=True)
    token: Mapped[str | None] = mapped_column(String(40), unique=True)
    lat: Mapped[float | None] = mapped_column(Float)
    long: Mapped[float | None] = mapped_column(Float)
    address_id: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(120))
    device_id: Mapped[str | None] = mapped_column(String(64))
    account_id: Mapped[str | None] = mapped_column(String(64))
    media_url: Mapped[str | None] = mapped_column(String(500))
    attributes: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# Published replies and the Open311 listing read consented tickets newest first: a small partial index
# (declared here, beside the public side that needs it) keeps that cheap at millions of tickets.
Index(
    "ix_tickets_publishable_created",
    Ticket.created_at,
    postgresql_where=Ticket.publishable.is_(True),
)
