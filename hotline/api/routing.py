"""Routing for the consoles: suggestions (智能派单), duplicates (并单), repeat complainers, the
catalogue's answer with its explanation, and the admins' rule editing, import and export."""

from __future__ import annotations

from flask import Response, g, jsonify, request
from sqlalchemy import select

from hotline.api import bp
from hotline.api.auth import json_body, login_required
from hotline.errors import NotFound, ValidationError
from hotline.extensions import db
from hotline.models import RepeatComplaint, Ticket
from hotline.models.base import utcnow
from hotline.routing import catalogue, duplicates, rules, suggest
from hotline.validation import Fields

CENTRE = ("operator", "supervisor", "admin")
READERS = ("operator", "supervisor", "admin", "leader")
SUPERVISION = ("supervisor", "admin", "leader")


def _category_region(f: Fields) -> tuple[str | None, str | None]:
    category = f.string("category", max_len=200)
    region = f.string("region", max_len=12)
    snap = catalogue.snapshot()
    if category:
        try:
            catalogue.resolve_category(snap, category)
        except catalogue.UnknownCategory:
            f.errors["category"] = "unknown category"
    if region and region not in snap.region_parent:
        f.errors["region"] = "unknown region"
    return category, region


@bp.post("/routing/suggest")
@login_required(CENTRE)
def routing_suggest():
    f = Fields(json_body())
    content = f.string("content", required=True, max_len=4000)
    line = f.string("line", max_len=20)
    category, region = _category_region(f)
    f.done()
    return jsonify(suggest.suggest(content or "", region=region, line=line, category=category))


@bp.post("/routing/duplicates")
@login_required(CENTRE)
def routing_duplicates():
    f = Fields(json_body())
    content = f.string("content", max_len=4000)
    phone = f.phone("caller_phone") if f.payload.get("caller_phone") else None
    address = f.string("address", max_len=200)
    category = f.string("category", max_len=6)
    exclude = f.payload.get("exclude")
    if exclude is not None and (isinstance(exclude, bool) or not isinstance(exclude, int)):
        f.errors["exclude"] = "a ticket id"
    if not (content or phone or address):
        f.errors["content"] = "give content, caller_phone or address"
    f.done()
    items = duplicates.find(content, phone, address, category, exclude_id=exclude)
    return jsonify({"items": items, "window_days": duplicates.WINDOW_DAYS})


@bp.get("/routing/match")
@login_required(READERS)
def routing_match():
    f = Fields(dict(request.args))
    category, region = _category_region(f)
    if not category:
        f.errors["category"] = "required"
    f.done()
    result = catalogue.match(category, region)  # type: ignore[arg-type]
    if result is None:
        raise NotFound("no dispatch rule for this category and region", code="no_rule")
    return jsonify(result)


@bp.get("/routing/repeats")
@login_required(SUPERVISION)
def routing_repeats():
    """反复投诉 flags, the latest first, paged with their total (no silent cap): each with its caller (the phone
    as the viewer may see it) and its latest ticket."""
    from sqlalchemy import func

    from hotline import access
    from hotline.api.tickets import _int_arg
    from hotline.models import Caller

    show = request.args.get("status", "open")
    if show not in ("open", "resolved", "all"):
        raise ValidationError("unknown status", fields={"status": "open, resolved or all"})
    page = _int_arg("page", 1, 1, 100_000)
    per_page = _int_arg("per_page", 50, 1, 200)
    q = select(RepeatComplaint)
    if show == "open":
        q = q.where(RepeatComplaint.resolved_at.is_(None))
    elif show == "resolved":
        q = q.where(RepeatComplaint.resolved_at.is_not(None))
    total = db.session.scalar(select(func.count()).select_from(q.subquery()))
    flags = list(
        db.session.scalars(
            q.order_by(RepeatComplaint.updated_at.desc(), RepeatComplaint.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    ids = {i for f in flags for i in f.ticket_ids}
    tickets = {t.id: t for t in db.session.scalars(select(Ticket).where(Ticket.id.in_(ids)))} if ids else {}
    numbers = {i: t.number for i, t in tickets.items()}
    callers = {c.id: c for c in db.session.scalars(select(Caller).where(Caller.id.in_({f.caller_id for f in flags})))}
    full = access.sees_full_phone(g.user)
    items = []
    for f in flags:
        item = duplicates.repeat_to_dict(f, numbers)
        caller, last = callers.get(f.caller_id), tickets.get(f.last_ticket_id)
        phone = caller.phone if caller else None
        item["caller"] = {
            "phone": phone if full else access.mask_phone(phone),
            "name": caller.name if caller else None,
        }
        item["last_ticket"] = (
            {
                "id": last.id,
                "number": last.number,
                "status": last.status,
                "category": last.category_code,
                "address": last.address,
                "content": (last.content or "")[:80],
            }
            if last
            else None
        )
        items.append(item)
    return jsonify({"items": items, "page": page, "per_page": per_page, "total": total})


@bp.post("/routing/repeats/<int:flag_id>/resolve")
@login_required(("supervisor", "admin"))
def routing_repeat_resolve(flag_id: int):
    f = Fields(json_body(allow_empty=True))
    note = f.string("note", max_len=1000)
    f.done()
    flag = db.session.get(RepeatComplaint, flag_id)
    if flag is None:
        raise NotFound("no such flag")
    flag.resolved_at, flag.resolved_by, flag.note = utcnow(), g.user.username, note
    db.session.commit()
    return jsonify(duplicates.repeat_to_dict(flag, {}))


# ---- the catalogue's rules (admins edit; the centre reads) -----------------------------------


@bp.get("/routing/rules")
@login_required(READERS)
def routing_rules():
    items = rules.list_rules(request.args.get("category"), request.args.get("region"), request.args.get("department"))
    return jsonify({"items": [rules.rule_to_dict(r) for r in items]})


@bp.post("/routing/rules")
@login_required(("admin",))
def routing_rule_create():
    b = json_body()
    assert isinstance(b, dict)
    rule = rules.create_rule(
        g.user.username, b.get("category"), b.get("region"), b.get("department"), b.get("note"), b.get("reason")
    )
    return jsonify(rules.rule_to_dict(rule)), 201


@bp.get("/routing/rules/<int:rule_id>")
@login_required(READERS)
def routing_rule_get(rule_id: int):
    found = [r for r in rules.list_rules() if r.id == rule_id]
    if not found:
        raise NotFound("no such rule")
    body = rules.rule_to_dict(found[0])
    body["history"] = [rules.change_to_dict(c) for c in rules.history(rule_id)]
    return jsonify(body)


@bp.patch("/routing/rules/<int:rule_id>")
@login_required(("admin",))
def routing_rule_update(rule_id: int):
    b = json_body()
    assert isinstance(b, dict)
    rule = rules.update_rule(g.user.username, rule_id, b.get("department"), b.get("note"), b.get("reason"))
    return jsonify(rules.rule_to_dict(rule))


@bp.delete("/routing/rules/<int:rule_id>")
@login_required(("admin",))
def routing_rule_delete(rule_id: int):
    b = json_body(allow_empty=True)
    assert isinstance(b, dict)
    rules.delete_rule(g.user.username, rule_id, b.get("reason") or request.args.get("reason"))
    return "", 204


@bp.get("/routing/rule-changes")
@login_required(READERS)
def routing_rule_changes():
    return jsonify({"items": [rules.change_to_dict(c) for c in rules.history()]})


@bp.get("/routing/rules/export")
@login_required(READERS)
def routing_rules_export():
    fmt = request.args.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        raise ValidationError("unknown format", fields={"format": "csv or xlsx"})
    mime = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    )
    return Response(
        rules.export_rules(fmt),
        mimetype=mime,
        headers={"Content-Disposition": f"attachment; filename=dispatch_catalog.{fmt}"},
    )


@bp.post("/routing/rules/import")
@login_required(("admin",))
def routing_rules_import():
    upload = request.files.get("file")
    if upload is None:
        raise ValidationError("send the catalogue as the multipart field 'file'", fields={"file": "required"})
    counts = rules.import_rules(
        upload.read(), upload.filename or "rules.csv", g.user.username, request.form.get("reason", "")
    )
    return jsonify(counts)


@bp.get("/routing/models")
@login_required(READERS)
def routing_models():
    return jsonify({"items": suggest.model_info()})


@bp.post("/routing/models/train")
@login_required(("admin",))
def routing_models_train():
    from hotline import outbox

    outbox.add_job("hotline.tasks.routing.retrain", [g.user.username])
    db.session.commit()
    outbox.kick()
    return jsonify({"queued": True}), 202


def openapi_paths() -> dict:
    """The routing endpoints for /api/v1/openapi.json."""

    def op(summary: str, body: dict | None = None, method: str = "post", code: str = "200") -> dict:
        out: dict = {
            "summary": summary,
            "responses": {code: {"description": "ok"}, **{str(c): {"description": "error"} for c in (401, 403, 422)}},
        }
        if body is not None:
            out["requestBody"] = {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"type": "object", "properties": {k: {"type": t} for k, t in body.items()}}
                    }
                },
            }
        return {method: out}

    rule_body = {"category": "string", "region": "string", "department": "string", "note": "string", "reason": "string"}
    return {
        "/routing/suggest": op(
            "智能派单: top-3 departments and categories with confidence, the catalogue rule, "
            "urgency and a proposed emergency hand-off",
            {"content": "string", "region": "string", "line": "string", "category": "string"},
        ),
        "/routing/duplicates": op(
            "并单: open tickets of the last 30 days from the same caller, at the same address "
            "and category, or with near-identical text",
            {
                "content": "string",
                "caller_phone": "string",
                "address": "string",
                "category": "string",
                "exclude": "integer",
            },
        ),
        "/routing/match": op(
            "The catalogue's department for ?category=&region=, with the rule as explanation", method="get"
        ),
        "/routing/repeats": op(
            "反复投诉: repeat complainers flagged for supervision (?status=open|resolved|all)", method="get"
        ),
        "/routing/repeats/{id}/resolve": op("Close a repeat-complaint flag", {"note": "string"}),
        "/routing/rules": {
            **op("Dispatch rules (?category=&region=&department=)", method="get"),
            **op("Create a rule (admin; reason required)", rule_body, code="201"),
        },
        "/routing/rules/{id}": {
            **op("A rule with its change history", method="get"),
            **op("Change a rule's department or note (admin; reason required)", rule_body, method="patch"),
            **op("Delete a rule (admin; reason required)", {"reason": "string"}, method="delete", code="204"),
        },
        "/routing/rule-changes": op("The audit of rule changes: old, new, actor, reason, time", method="get"),
        "/routing/rules/export": op("The rules as ?format=csv|xlsx", method="get"),
        "/routing/rules/import": {
            "post": {
                "summary": "Replace the rules with a CSV or XLSX file (admin; multipart fields file and reason); "
                "a bad file is rejected with its line number and changes nothing",
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "file": {"type": "string", "format": "binary"},
                                    "reason": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                "responses": {"200": {"description": "counts"}, "422": {"description": "bad file"}},
            }
        },
        "/routing/models": op("Stored suggester versions with their metrics", method="get"),
        "/routing/models/train": op("Queue a retraining job (admin)", code="202"),
    }
