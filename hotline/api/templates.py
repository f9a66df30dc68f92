"""常用语: reply templates per category, kept by supervisors, read by everyone who answers or replies."""

from __future__ import annotations

from flask import g, jsonify, request
from sqlalchemy import or_, select

from hotline.api import bp
from hotline.api.auth import json_body, login_required
from hotline.api.serialize import iso
from hotline.errors import NotFound, ValidationError
from hotline.extensions import db
from hotline.models import Category, ReplyTemplate
from hotline.models.base import utcnow
from hotline.validation import Fields

EDITORS = ("supervisor", "admin")


def template_dict(t: ReplyTemplate) -> dict:
    return {
        "id": t.id,
        "category": t.category_code,
        "title": t.title,
        "text": t.text,
        "active": t.active,
        "updated_by": t.updated_by,
        "updated_at": iso(t.updated_at),
    }


@bp.get("/reply-templates")
@login_required()
def list_templates():
    """The active templates for `category`: its own, its parents' (codes are prefixes) and the general ones,
    the most specific first. Without `category`: all of them (the supervisors' list)."""
    query = select(ReplyTemplate).where(ReplyTemplate.active.is_(True))
    if category := request.args.get("category"):
        if db.session.get(Category, category) is None:
            raise ValidationError("unknown category", fields={"category": "unknown category"})
        ancestors = [category[:n] for n in range(2, len(category) + 1, 2)]
        query = query.where(or_(ReplyTemplate.category_code.is_(None), ReplyTemplate.category_code.in_(ancestors)))
    rows = db.session.scalars(query.order_by(ReplyTemplate.id)).all()
    rows = sorted(rows, key=lambda t: (-len(t.category_code or ""), t.id))
    return jsonify({"items": [template_dict(t) for t in rows]})


def _parse(required: bool) -> dict:
    body = json_body()
    f = Fields(body)
    values = {
        "title": f.string("title", required=required, max_len=40),
        "text": f.string("text", required=required, max_len=1000),
        "category_code": f.string("category", max_len=6),
    }
    if values["category_code"] and db.session.get(Category, values["category_code"]) is None:
        f.errors["category"] = "unknown category"
    f.done()
    assert isinstance(body, dict)
    return {
        k: v for k, v in values.items() if required or v is not None or (k == "category_code" and "category" in body)
    }


def _save(t: ReplyTemplate, values: dict) -> ReplyTemplate:
    for k, v in values.items():
        setattr(t, k, v)
    t.updated_by, t.updated_at = g.user.username, utcnow()
    db.session.add(t)
    db.session.commit()
    return t


@bp.post("/reply-templates")
@login_required(EDITORS)
def create_template():
    t = _save(ReplyTemplate(active=True, created_at=utcnow()), _parse(required=True))
    return jsonify(template_dict(t)), 201


def _get(template_id: int) -> ReplyTemplate:
    t = db.session.get(ReplyTemplate, template_id)
    if t is None or not t.active:
        raise NotFound("no such template")
    return t


@bp.put("/reply-templates/<int:template_id>")
@login_required(EDITORS)
def update_template(template_id: int):
    return jsonify(template_dict(_save(_get(template_id), _parse(required=False))))


@bp.delete("/reply-templates/<int:template_id>")
@login_required(EDITORS)
def delete_template(template_id: int):
    _save(_get(template_id), {"active": False})  # kept, inactive: who wrote what stays readable
    return "", 204
