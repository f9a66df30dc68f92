"""Photos staff add to a ticket (a department's site photos): checked by their bytes, at most 5 MB each, stored
like the public side's (hotline.attachments, under UPLOAD_DIR), and recorded on the timeline."""

from __future__ import annotations

from sqlalchemy import func, select

from hotline import attachments
from hotline.actions._core import Actor, ticket_action
from hotline.errors import DomainError, ValidationError
from hotline.extensions import db
from hotline.models import Attachment, Ticket

MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MAX_ATTACHMENTS_PER_TICKET = 20


def attach_photo(ticket_id: int, actor: Actor, filename: str | None, data: bytes) -> tuple[Ticket, Attachment]:
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise DomainError("a photo may be at most 5 MB", code="too_large", status=413, fields={"file": "at most 5 MB"})
    if not data:
        raise ValidationError("the file is empty", fields={"file": "empty"})
    kind = attachments.sniff_image(data)
    if kind is None:
        raise ValidationError(
            "only photos (JPEG, PNG, GIF, WebP, HEIC) may be attached",
            fields={"file": "not a JPEG, PNG, GIF, WebP or HEIC image"},
        )
    photo = attachments.Photo(data, kind[0], kind[1], filename)
    key = attachments.store(photo)  # written first; removed again if the transaction does not commit
    try:
        # An attachment is a note with a file: the same parties may add one, in the same states.
        with ticket_action(ticket_id, "note", actor) as ctx:
            count = db.session.scalar(select(func.count()).where(Attachment.ticket_id == ticket_id))
            if count >= MAX_ATTACHMENTS_PER_TICKET:
                raise ValidationError(
                    "too many attachments", fields={"file": f"at most {MAX_ATTACHMENTS_PER_TICKET} per ticket"}
                )
            att = Attachment(
                ticket_id=ticket_id,
                content_type=photo.content_type,
                size=len(data),
                sha256=photo.sha256,
                storage_key=key,
                original_name=attachments.clean_name(filename),
                created_at=ctx.now,
            )
            db.session.add(att)
            db.session.flush()
            ctx.event(
                action="attach",
                note=att.original_name,
                data={"attachment": att.id, "size": len(data), "content_type": photo.content_type},
            )
    except BaseException:
        attachments.remove([key])
        raise
    return ctx.ticket, att
