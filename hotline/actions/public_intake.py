"""受理 from the public channels: a web message with photos, or an Open311 service request.

Both end in `create_ticket`; what the channel adds (photos, location, the Open311 client and token) is written
in the same transaction. Photo files are written first and removed again if the ticket is not committed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from hotline import attachments
from hotline.actions._core import Actor
from hotline.actions.intake import IntakeData, create_ticket
from hotline.extensions import db
from hotline.models import Attachment, PublicSubmission, Ticket


@dataclass
class ChannelDetails:
    """What a public channel knows beyond the ticket's own fields."""

    source: str  # web | open311
    lat: float | None = None
    long: float | None = None
    api_token_id: int | None = None
    address_id: str | None = None
    email: str | None = None
    device_id: str | None = None
    account_id: str | None = None
    media_url: str | None = None
    attributes: dict | None = None
    photos: list[attachments.Photo] = field(default_factory=list)


def submit_public_request(
    data: IntakeData, details: ChannelDetails, actor: Actor | None = None
) -> tuple[Ticket, str, str | None]:
    """Create the ticket; returns it, its retrieval code and (Open311) the request's token."""
    stored: list[tuple[str, attachments.Photo]] = []
    token = secrets.token_urlsafe(18) if details.source == "open311" else None
    try:
        for photo in details.photos:
            stored.append((attachments.store(photo), photo))

        def attach(ticket: Ticket) -> None:
            db.session.add(
                PublicSubmission(
                    ticket_id=ticket.id,
                    source=details.source,
                    api_token_id=details.api_token_id,
                    token=token,
                    lat=details.lat,
                    long=details.long,
                    address_id=details.address_id,
                    email=details.email,
                    device_id=details.device_id,
                    account_id=details.account_id,
                    media_url=details.media_url,
                    attributes=details.attributes,
                )
            )
            for key, photo in stored:
                db.session.add(
                    Attachment(
                        ticket_id=ticket.id,
                        content_type=photo.content_type,
                        size=len(photo.data),
                        sha256=photo.sha256,
                        storage_key=key,
                        original_name=attachments.clean_name(photo.original_name),
                    )
                )

        ticket, code = create_ticket(data, actor, attach=attach)
    except BaseException:
        attachments.remove([key for key, _ in stored])
        raise
    return ticket, code, token
