"""Photos sent with a web message, for the staff who may see the ticket (never public)."""

from __future__ import annotations

from flask import g, jsonify, send_file
from sqlalchemy import select

from hotline import access, attachments
from hotline.api import bp
from hotline.api.auth import login_required
from hotline.api.serialize import iso
from hotline.errors import NotFound
from hotline.extensions import db
from hotline.models import Attachment


@bp.get("/tickets/<int:ticket_id>/attachments")
@login_required()
def list_attachments(ticket_id: int):
    ticket = access.get_ticket(g.user, ticket_id)
    rows = db.session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id).order_by(Attachment.id))
    return jsonify(
        [
            {
                "id": a.id,
                "content_type": a.content_type,
                "size": a.size,
                "created_at": iso(a.created_at),
                "url": f"/api/v1/tickets/{ticket.id}/attachments/{a.id}",
            }
            for a in rows
        ]
    )


@bp.get("/tickets/<int:ticket_id>/attachments/<int:attachment_id>")
@login_required()
def get_attachment(ticket_id: int, attachment_id: int):
    ticket = access.get_ticket(g.user, ticket_id)
    a = db.session.get(Attachment, attachment_id)
    if a is None or a.ticket_id != ticket.id:
        raise NotFound("no such attachment")
    response = send_file(attachments.path_of(a.storage_key), mimetype=a.content_type, max_age=0)
    # The type was checked by its bytes at upload; the browser must not guess another, nor run anything.
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
