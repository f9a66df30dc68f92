"""Notices to departments: one's own inbox, and the department's choices of what it is told."""

from __future__ import annotations

from flask import g, jsonify
from sqlalchemy import select, update

from hotline import notices
from hotline.actions import people
from hotline.api import bp
from hotline.api.auth import json_body, login_required
from hotline.api.serialize import iso
from hotline.errors import Forbidden
from hotline.extensions import db
from hotline.models import Notice, Ticket
from hotline.models.base import utcnow


@bp.get("/notices")
@login_required()
def list_notices():
    rows = db.session.execute(
        select(Notice, Ticket.number)
        .outerjoin(Ticket, Ticket.id == Notice.ticket_id)
        .where(Notice.user_id == g.user.id)
        .order_by(Notice.id.desc())
        .limit(100)
    ).all()
    items = [
        {
            "id": n.id,
            "kind": n.kind,
            "ticket": n.ticket_id,
            "number": number,
            "text": n.text,
            "at": iso(n.created_at),
            "read": n.read_at is not None,
        }
        for n, number in rows
    ]
    return jsonify({"unread": notices.unread_count(g.user.id), "items": items})


@bp.post("/notices/read")
@login_required()
def read_notices():
    db.session.execute(
        update(Notice).where(Notice.user_id == g.user.id, Notice.read_at.is_(None)).values(read_at=utcnow())
    )
    db.session.commit()
    return jsonify({"unread": 0})


@bp.put("/departments/<code>/notice-preferences")
@login_required(("department", "admin"))
def put_notice_preferences(code: str):
    """A department's staff choose for their department; admins for any, and for `default`."""
    if g.user.role != "admin" and code != g.user.department_code:
        raise Forbidden("staff choose only for their own department")
    prefs = people.set_notice_preferences(g.user, None if code == "default" else code, json_body())
    return jsonify(prefs)
