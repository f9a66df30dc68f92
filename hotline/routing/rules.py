"""Editing the dispatch catalogue: one rule at a time (admins, with a reason) or a whole file (CSV or
XLSX, all or nothing, errors with their line number). Every change leaves an audit row with the old
and new values, the actor and the reason, and clears the in-memory catalogue."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from hotline.catalogue_import import CatalogueError, parse_rules, replace_rules
from hotline.errors import Conflict, NotFound, ValidationError
from hotline.extensions import db
from hotline.models import Category, Department, DispatchRule, DispatchRuleChange, Region
from hotline.models.base import utcnow
from hotline.routing import catalogue

COLUMNS = ("category", "region_code", "department_code", "note")


def _iso(v):
    return v.isoformat().replace("+00:00", "Z") if v else None


def rule_to_dict(rule: DispatchRule) -> dict:
    return {
        "id": rule.id,
        "category": rule.category_path,
        "region": rule.region_code or None,
        "department": rule.department.code,
        "department_name": rule.department.name,
        "note": rule.note,
        "updated_by": rule.updated_by,
        "updated_at": _iso(rule.updated_at),
    }


def change_to_dict(c: DispatchRuleChange) -> dict:
    return {
        "id": c.id,
        "rule_id": c.rule_id,
        "op": c.op,
        "category": c.category_path,
        "region": c.region_code or None,
        "old": c.old,
        "new": c.new,
        "actor": c.actor,
        "reason": c.reason,
        "at": _iso(c.at),
    }


def list_rules(category: str | None = None, region: str | None = None, department: str | None = None):
    q = select(DispatchRule).join(Department, Department.id == DispatchRule.department_id)
    if category:
        q = q.where(DispatchRule.category_path == category)
    if region is not None:
        q = q.where(DispatchRule.region_code == region)
    if department:
        q = q.where(Department.code == department)
    return list(db.session.scalars(q.order_by(DispatchRule.category_path, DispatchRule.region_code)))


def history(rule_id: int | None = None, limit: int = 200) -> list[DispatchRuleChange]:
    q = select(DispatchRuleChange).order_by(DispatchRuleChange.id.desc()).limit(limit)
    if rule_id is not None:
        q = q.where(DispatchRuleChange.rule_id == rule_id)
    return list(db.session.scalars(q))


def _check(
    category: object, region: object, department: object, note: object, reason: object, partial: bool = False
) -> dict:
    errors: dict[str, str] = {}
    out: dict = {}
    if not partial or category is not None:
        if not isinstance(category, str) or not category.strip():
            errors["category"] = "required"
        elif db.session.scalar(select(Category.code).where(Category.path == category.strip())) is None:
            errors["category"] = "unknown category path (level-1 name or level1/level2)"
        else:
            out["category"] = category.strip()
    if not partial or region is not None:
        region = region or ""
        if not isinstance(region, str):
            errors["region"] = "must be a region code or empty"
        elif region and db.session.get(Region, region) is None:
            errors["region"] = "unknown region"
        else:
            out["region"] = region
    if not partial or department is not None:
        dept = None
        if isinstance(department, str) and department:
            dept = db.session.scalar(select(Department).where(Department.code == department))
        if dept is None or dept.kind == "center" or not dept.active:
            errors["department"] = "unknown department"
        else:
            out["department"] = dept
    if note is not None and not isinstance(note, str):
        errors["note"] = "must be a string"
    if not isinstance(reason, str) or not reason.strip():
        errors["reason"] = "required: why the rule changes"
    elif len(reason) > 500:
        errors["reason"] = "at most 500 characters"
    if errors:
        raise ValidationError("invalid rule", fields=errors)
    out["note"] = note.strip() if isinstance(note, str) and note.strip() else None
    out["reason"] = reason.strip()  # type: ignore[union-attr]
    return out


def _audit(op: str, rule: DispatchRule, old: dict | None, new: dict | None, actor: str, reason: str, now) -> None:
    db.session.add(
        DispatchRuleChange(
            rule_id=rule.id,
            op=op,
            category_path=rule.category_path,
            region_code=rule.region_code,
            old=old,
            new=new,
            actor=actor,
            reason=reason,
            at=now,
        )
    )


def _values(rule: DispatchRule) -> dict:
    return {"department": rule.department.code, "note": rule.note}


def create_rule(actor: str, category, region, department, note, reason) -> DispatchRule:
    v = _check(category, region, department, note, reason)
    exists = db.session.scalar(
        select(DispatchRule.id).where(
            DispatchRule.category_path == v["category"], DispatchRule.region_code == v["region"]
        )
    )
    if exists:
        raise Conflict(
            f"a rule for {v['category']} in region {v['region'] or 'any'} exists (id {exists})", code="duplicate_rule"
        )
    now = utcnow()
    try:
        rule = DispatchRule(
            category_path=v["category"],
            region_code=v["region"],
            department_id=v["department"].id,
            note=v["note"],
            updated_by=actor,
            updated_at=now,
        )
        rule.department = v["department"]
        db.session.add(rule)
        db.session.flush()
        _audit("create", rule, None, _values(rule), actor, v["reason"], now)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    catalogue.invalidate()
    return rule


def _get(rule_id: int) -> DispatchRule:
    rule = db.session.scalar(select(DispatchRule).where(DispatchRule.id == rule_id).with_for_update(of=DispatchRule))
    if rule is None:
        raise NotFound("no such rule")
    return rule


def update_rule(actor: str, rule_id: int, department=None, note=None, reason=None) -> DispatchRule:
    v = _check(None, None, department, note, reason, partial=True)
    try:
        rule = _get(rule_id)
        old = _values(rule)
        if "department" in v:
            rule.department_id, rule.department = v["department"].id, v["department"]
        if note is not None:
            rule.note = v["note"]
        if _values(rule) != old:
            rule.updated_by, rule.updated_at = actor, utcnow()
            _audit("update", rule, old, _values(rule), actor, v["reason"], rule.updated_at)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    catalogue.invalidate()
    return rule


def delete_rule(actor: str, rule_id: int, reason) -> None:
    v = _check(None, None, None, None, reason, partial=True)
    try:
        rule = _get(rule_id)
        _audit("delete", rule, _values(rule), None, actor, v["reason"], utcnow())
        db.session.delete(rule)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    catalogue.invalidate()


# ---- files ---------------------------------------------------------------------------------


def _csv_rows(data: bytes, name: str) -> list[tuple[int, dict[str, str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CatalogueError(f"{name}:1: not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS[:3] if c not in (reader.fieldnames or [])]
    if missing:
        raise CatalogueError(f"{name}:1: missing columns {', '.join(missing)}")
    out = []
    try:
        for row in reader:
            if None in row or any(v is None for v in row.values()):
                raise CatalogueError(f"{name}:{reader.line_num}: wrong number of fields")
            out.append((reader.line_num, {k: (v or "").strip() for k, v in row.items()}))
    except csv.Error as exc:
        raise CatalogueError(f"{name}:{reader.line_num}: {exc}") from None
    return out


def _xlsx_rows(data: bytes, name: str) -> list[tuple[int, dict[str, str]]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a broken file
        raise CatalogueError(f"{name}:1: not a readable XLSX workbook") from None
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = [str(c or "").strip() for c in next(rows, ())]
    missing = [c for c in COLUMNS[:3] if c not in header]
    if missing:
        raise CatalogueError(f"{name}:1: missing columns {', '.join(missing)}")
    out = []
    for line, values in enumerate(rows, start=2):
        if values is None or all(v is None or str(v).strip() == "" for v in values):
            continue
        row = {h: ("" if v is None else str(v).strip()) for h, v in zip(header, values, strict=False) if h}
        for c in COLUMNS:
            row.setdefault(c, "")
        out.append((line, row))
    wb.close()
    return out


def import_rules(data: bytes, filename: str, actor: str, reason: str) -> dict[str, int]:
    """Replace the whole rule table with the file's (all or nothing)."""
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError("reason is required", fields={"reason": "required: why the catalogue changes"})
    name = filename or "rules.csv"
    rows = _xlsx_rows(data, name) if name.lower().endswith(".xlsx") or data[:2] == b"PK" else _csv_rows(data, name)
    paths = set(db.session.scalars(select(Category.path)))
    regions = set(db.session.scalars(select(Region.code)))
    depts = {d.code: d for d in db.session.scalars(select(Department)) if d.kind != "center"}
    parsed = parse_rules(rows, paths, regions, set(depts), name=name)
    try:
        counts = replace_rules(
            parsed, actor, {d.code: d for d in db.session.scalars(select(Department))}, reason=reason.strip()
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    catalogue.invalidate()
    return {"rules": len(parsed), **counts}


def export_rules(fmt: str = "csv") -> bytes:
    from hotline.spreadsheet import csv_text, xlsx_append

    rules = list_rules()
    rows = [[r.category_path, r.region_code or "", r.department.code, r.note or ""] for r in rules]
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = "dispatch_catalog"
        for row in [list(COLUMNS), *rows]:
            xlsx_append(ws, row)
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()
    return csv_text([COLUMNS, *rows], lineterminator="\n").encode("utf-8")
