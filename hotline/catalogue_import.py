"""Load the demo city's CSVs (regions, departments, categories, dispatch rules, merged lines).

Everything is validated before anything is written, and written in one transaction, so a bad
file is rejected with its line number and leaves the old catalogue intact. Running it twice
changes nothing.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sqlalchemy import delete, select

from hotline.errors import ValidationError
from hotline.extensions import db
from hotline.models import Category, Department, DispatchRule, HotlineLine, Region
from hotline.models.base import utcnow
from hotline.models.catalogue import DEPARTMENT_KINDS, REGION_LEVELS
from hotline.validation import normalize_phone

DATA_DIR = Path(__file__).resolve().parent / "data"
# departments.csv's optional `active` column; empty means active.
ACTIVE_VALUES = {"": True, "1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}
FILES = ("regions.csv", "departments.csv", "categories.csv", "dispatch_catalog.csv", "hotline_lines.csv")


class CatalogueError(ValidationError):
    code = "bad_catalogue"


def _rows(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"{path.name}: cannot read ({exc})") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in columns if c not in (reader.fieldnames or [])]
    if missing:
        raise CatalogueError(f"{path.name}:1: missing columns {', '.join(missing)}")
    out = []
    for row in reader:
        if None in row or any(v is None for v in row.values()):
            raise CatalogueError(f"{path.name}:{reader.line_num}: wrong number of fields")
        out.append((reader.line_num, {k: (v or "").strip() for k, v in row.items()}))
    return out


def _fail(name: str, line: int, message: str) -> None:
    raise CatalogueError(f"{name}:{line}: {message}")


def parse_rules(
    rows,
    category_paths: set[str],
    region_codes: set[str],
    dept_codes: set[str],
    name: str = "dispatch_catalog.csv",
) -> list[dict]:
    seen: dict[tuple[str, str], int] = {}
    rules = []
    for line, r in rows:
        key = (r["category"], r["region_code"])
        if r["category"] not in category_paths:
            _fail(name, line, f"unknown category {r['category']!r}")
        if r["region_code"] and r["region_code"] not in region_codes:
            _fail(name, line, f"unknown region {r['region_code']!r}")
        if r["department_code"] not in dept_codes:
            _fail(name, line, f"unknown department {r['department_code']!r}")
        if key in seen:
            _fail(
                name,
                line,
                f"duplicate rule for {key[0]} in region {key[1] or 'any'} (first on line {seen[key]})",
            )
        seen[key] = line
        rules.append(
            {
                "category_path": key[0],
                "region_code": key[1],
                "department_code": r["department_code"],
                "note": r.get("note") or None,
            }
        )
    return rules


def import_catalogue(directory: Path | str = DATA_DIR, actor: str = "import") -> dict[str, int]:
    d = Path(directory)
    regions = _rows(d / "regions.csv", ("code", "name", "parent_code", "level"))
    departments = _rows(d / "departments.csv", ("code", "name", "kind", "region_code", "parent_code"))
    categories = _rows(d / "categories.csv", ("code", "level1", "level2", "level3"))
    rules = _rows(d / "dispatch_catalog.csv", ("category", "region_code", "department_code"))
    lines = _rows(d / "hotline_lines.csv", ("number", "name", "default_category"))

    # -- validate everything first ------------------------------------------------------------
    region_codes: set[str] = set()
    for line, r in regions:
        if r["level"] not in REGION_LEVELS:
            _fail("regions.csv", line, f"unknown level {r['level']!r}")
        if r["parent_code"] and r["parent_code"] not in region_codes:
            _fail("regions.csv", line, f"parent {r['parent_code']!r} must come earlier")
        if not r["code"] or r["code"] in region_codes:
            _fail("regions.csv", line, "empty or duplicate code")
        region_codes.add(r["code"])
    dept_codes: set[str] = set()
    for line, r in departments:
        if r["kind"] not in DEPARTMENT_KINDS:
            _fail("departments.csv", line, f"unknown kind {r['kind']!r}")
        if r["region_code"] and r["region_code"] not in region_codes:
            _fail("departments.csv", line, f"unknown region {r['region_code']!r}")
        if r["parent_code"] and r["parent_code"] not in dept_codes:
            _fail("departments.csv", line, f"parent {r['parent_code']!r} must come earlier")
        if not r["code"] or r["code"] in dept_codes:
            _fail("departments.csv", line, "empty or duplicate code")
        if r.get("liaison_phone"):
            phone = normalize_phone(r["liaison_phone"])
            if phone is None or not phone.startswith("+861"):
                _fail("departments.csv", line, f"liaison_phone {r['liaison_phone']!r} is not a mobile number")
            r["liaison_phone"] = phone
        if r.get("active", "").lower() not in ACTIVE_VALUES:
            _fail("departments.csv", line, f"active {r['active']!r} is not one of 1, 0, true, false, yes, no")
        dept_codes.add(r["code"])
    nodes: dict[str, dict] = {}
    for line, r in categories:
        code = r["code"]
        if len(code) != 6 or not code.isdigit() or not all((r["level1"], r["level2"], r["level3"])):
            _fail("categories.csv", line, "code must be 6 digits with three level names")
        if code in nodes:
            _fail("categories.csv", line, f"duplicate code {code}")
        for level, (c, nm) in enumerate(((code[:2], r["level1"]), (code[:4], r["level2"])), start=1):
            path = r["level1"] if level == 1 else f"{r['level1']}/{r['level2']}"
            prior = nodes.get(c)
            if prior and prior["path"] != path:
                _fail("categories.csv", line, f"code {c} is {prior['path']!r} elsewhere")
            nodes.setdefault(c, {"code": c, "name": nm, "parent_code": c[:-2] or None, "level": level, "path": path})
        nodes[code] = {
            "code": code,
            "name": r["level3"],
            "parent_code": code[:4],
            "level": 3,
            "path": f"{r['level1']}/{r['level2']}/{r['level3']}",
        }
    paths = {n["path"] for n in nodes.values()}
    parsed_rules = parse_rules(rules, paths, region_codes, dept_codes)
    for line, r in lines:
        if r["default_category"] and r["default_category"] not in paths:
            _fail("hotline_lines.csv", line, f"unknown category {r['default_category']!r}")

    # -- then write, in one transaction -------------------------------------------------------
    try:
        _upsert(
            Region,
            "code",
            [
                {
                    "code": r["code"],
                    "name": r["name"],
                    "parent_code": r["parent_code"] or None,
                    "level": r["level"],
                }
                for _, r in regions
            ],
        )
        by_code = {d.code: d for d in db.session.scalars(select(Department))}
        for _, r in departments:
            dept = by_code.get(r["code"]) or Department(code=r["code"], active=True)
            dept.name, dept.kind = r["name"], r["kind"]
            dept.region_code = r["region_code"] or None
            dept.parent_id = by_code[r["parent_code"]].id if r["parent_code"] else None
            # The optional columns change a department only when the file has them (an older file keeps the
            # liaisons and flags set on the admin page).
            if "liaison_name" in r:
                dept.liaison_name = r["liaison_name"] or None
            if "liaison_phone" in r:
                dept.liaison_phone = r["liaison_phone"] or None
            if "active" in r:
                dept.active = ACTIVE_VALUES[r["active"].lower()]
            if dept.id is None:
                db.session.add(dept)
                db.session.flush()
            by_code[dept.code] = dept
        _upsert(Category, "code", sorted(nodes.values(), key=lambda n: n["code"]))
        replace_rules(parsed_rules, actor, by_code)
        _upsert(
            HotlineLine,
            "number",
            [
                {
                    "number": r["number"],
                    "name": r["name"],
                    "default_category_path": r["default_category"] or None,
                }
                for _, r in lines
            ],
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return {
        "regions": len(regions),
        "departments": len(departments),
        "categories": len(nodes),
        "rules": len(parsed_rules),
        "lines": len(lines),
    }


def replace_rules(
    parsed: list[dict], actor: str, by_code: dict[str, Department] | None = None, reason: str | None = None
) -> dict[str, int]:
    """Make the rule table equal to `parsed`, keeping who/when on rules that did not change; every
    change is written to the audit table with the old and new values, the actor and the reason."""
    from hotline.models import DispatchRuleChange

    by_code = by_code or {d.code: d for d in db.session.scalars(select(Department))}
    code_of = {d.id: c for c, d in by_code.items()}
    existing = {(r.category_path, r.region_code): r for r in db.session.scalars(select(DispatchRule))}
    wanted = {(p["category_path"], p["region_code"]): p for p in parsed}
    now = utcnow()
    counts = {"created": 0, "updated": 0, "deleted": 0}

    def audit(op: str, key: tuple[str, str], rule_id: int | None, old: dict | None, new: dict | None) -> None:
        db.session.add(
            DispatchRuleChange(
                rule_id=rule_id,
                op=op,
                category_path=key[0],
                region_code=key[1],
                old=old,
                new=new,
                actor=actor,
                reason=reason or "catalogue import",
                at=now,
            )
        )

    for key, rule in existing.items():
        if key not in wanted:
            audit("delete", key, rule.id, {"department": code_of.get(rule.department_id), "note": rule.note}, None)
            db.session.execute(delete(DispatchRule).where(DispatchRule.id == rule.id))
            counts["deleted"] += 1
    for key, p in wanted.items():
        dept_id = by_code[p["department_code"]].id
        rule = existing.get(key)
        new = {"department": p["department_code"], "note": p["note"]}
        if rule is None:
            rule = DispatchRule(
                category_path=key[0],
                region_code=key[1],
                department_id=dept_id,
                note=p["note"],
                updated_by=actor,
                updated_at=now,
            )
            db.session.add(rule)
            db.session.flush()
            audit("create", key, rule.id, None, new)
            counts["created"] += 1
        elif rule.department_id != dept_id or rule.note != p["note"]:
            old = {"department": code_of.get(rule.department_id), "note": rule.note}
            rule.department_id, rule.note, rule.updated_by, rule.updated_at = dept_id, p["note"], actor, now
            audit("update", key, rule.id, old, new)
            counts["updated"] += 1
    return counts


def _upsert(model, key: str, rows: list[dict]) -> None:
    existing = {getattr(o, key): o for o in db.session.scalars(select(model))}
    for row in rows:
        obj = existing.get(row[key])
        if obj is None:
            db.session.add(model(**row))
        else:
            for k, v in row.items():
                if getattr(obj, k) != v:
                    setattr(obj, k, v)
    db.session.flush()
