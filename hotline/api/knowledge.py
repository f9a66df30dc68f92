"""The knowledge base: search for operators, edits for supervisors (soft delete keeps history readable)."""

from __future__ import annotations

from flask import g, jsonify, request

from hotline import knowledge
from hotline.api import bp
from hotline.api.auth import json_body, login_required
from hotline.api.serialize import iso
from hotline.errors import NotFound
from hotline.extensions import db
from hotline.models import Category, KnowledgeArticle
from hotline.models.base import utcnow
from hotline.validation import Fields

READERS = ("operator", "supervisor", "admin", "leader")
EDITORS = ("supervisor", "admin")


def article_dict(a: KnowledgeArticle) -> dict:
    return {
        "id": a.id,
        "title": a.title,
        "body": a.body,
        "category": a.category_code,
        "keywords": a.keywords,
        "active": a.active,
        "updated_by": a.updated_by,
        "updated_at": iso(a.updated_at),
    }


def _parse(article: KnowledgeArticle | None) -> dict:
    body = json_body()
    f = Fields(body)
    required = article is None
    out = {
        "title": f.string("title", required=required, max_len=200),
        "body": f.string("body", required=required, max_len=20000),
        "category_code": f.string("category", max_len=6),
        "keywords": f.string("keywords", max_len=500),
    }
    if out["category_code"] and db.session.get(Category, out["category_code"]) is None:
        f.errors["category"] = "unknown category"
    f.done()
    assert isinstance(body, dict)
    # On update only the fields sent change; "category": null clears it.
    return {
        k: v for k, v in out.items() if required or v is not None or {"category_code": "category"}.get(k, k) in body
    }


def _save(article: KnowledgeArticle, values: dict) -> KnowledgeArticle:
    for k, v in values.items():
        setattr(article, k, v)
    article.search_text = knowledge.fold(article.title, article.keywords, article.body)
    article.updated_by = g.user.username
    article.updated_at = utcnow()
    db.session.add(article)
    db.session.commit()
    return article


def _get(article_id: int) -> KnowledgeArticle:
    a = db.session.get(KnowledgeArticle, article_id)
    if a is None or not a.active:
        raise NotFound("no such article")
    return a


@bp.get("/knowledge")
@login_required(READERS)
def search_knowledge():
    q = (request.args.get("q") or "")[:200]
    rows = db.session.scalars(knowledge.search_query(q, request.args.get("category") or None))
    return jsonify({"items": [article_dict(a) for a in rows], "tokens": knowledge.tokens(q)})


@bp.get("/knowledge/<int:article_id>")
@login_required(READERS)
def get_article(article_id: int):
    return jsonify(article_dict(_get(article_id)))


@bp.post("/knowledge")
@login_required(EDITORS)
def create_article():
    a = _save(KnowledgeArticle(active=True, created_at=utcnow()), _parse(None))
    return jsonify(article_dict(a)), 201


@bp.put("/knowledge/<int:article_id>")
@login_required(EDITORS)
def update_article(article_id: int):
    a = _get(article_id)
    return jsonify(article_dict(_save(a, _parse(a))))


@bp.delete("/knowledge/<int:article_id>")
@login_required(EDITORS)
def delete_article(article_id: int):
    a = _get(article_id)
    _save(a, {"active": False})
    return "", 204
