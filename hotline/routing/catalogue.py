"""The dispatch catalogue engine (派单目录): category x region -> department, with the rule that
decided it as the explanation.

Precedence: the most specific category first (level-3 path, then its level-2 path, then its level-1
name), and within one category the most specific region (street, then county, then city, then the
rule for any region). The rule table is held in memory per process and reloaded when it changes:
changes made in this process clear it at once; other processes notice within CHECK_SECONDS by a
cheap fingerprint query (row count, newest update, newest audit row).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import func, select

from hotline.extensions import db
from hotline.models import Category, Department, DispatchRule, DispatchRuleChange, HotlineLine, Region

CHECK_SECONDS = 2.0


@dataclass(frozen=True)
class RuleView:
    id: int
    category_path: str
    region_code: str
    department_code: str
    department_name: str
    department_kind: str
    note: str | None
    updated_by: str | None
    updated_at: str | None


@dataclass
class Snapshot:
    fingerprint: tuple
    rules: dict[tuple[str, str], RuleView]
    region_parent: dict[str, str | None]
    region_name: dict[str, str]
    category_by_code: dict[str, str]  # code -> path
    code_by_path: dict[str, str]  # path -> code
    departments: dict[str, tuple[str, str]]  # code -> (name, kind)
    loaded_at: float


class UnknownCategory(ValueError):
    pass


class UnknownRegion(ValueError):
    pass


_lock = threading.Lock()
_cache: dict[str, Snapshot] = {}  # per database URL (tests run more than one app)


def _fingerprint() -> tuple:
    count, newest = db.session.execute(select(func.count(DispatchRule.id), func.max(DispatchRule.updated_at))).one()
    last_change = db.session.scalar(select(func.max(DispatchRuleChange.id)))
    dept_count = db.session.scalar(select(func.count(Department.id)))
    return (count, str(newest), last_change, dept_count)


def _load(fingerprint: tuple) -> Snapshot:
    depts = {d.id: d for d in db.session.scalars(select(Department))}
    rules = {}
    for r in db.session.execute(select(DispatchRule).execution_options(populate_existing=True)).scalars():
        d = depts[r.department_id]
        rules[(r.category_path, r.region_code or "")] = RuleView(
            id=r.id,
            category_path=r.category_path,
            region_code=r.region_code or "",
            department_code=d.code,
            department_name=d.name,
            department_kind=d.kind,
            note=r.note,
            updated_by=r.updated_by,
            updated_at=r.updated_at.isoformat().replace("+00:00", "Z") if r.updated_at else None,
        )
    regions = db.session.execute(select(Region.code, Region.parent_code, Region.name)).all()
    cats = db.session.execute(select(Category.code, Category.path)).all()
    return Snapshot(
        fingerprint=fingerprint,
        rules=rules,
        region_parent={c: p for c, p, _ in regions},
        region_name={c: n for c, _, n in regions},
        category_by_code=dict(cats),
        code_by_path={p: c for c, p in cats},
        departments={d.code: (d.name, d.kind) for d in depts.values()},
        loaded_at=time.monotonic(),
    )


def snapshot() -> Snapshot:
    """The cached catalogue, reloaded when another process changed it (checked every 2 s)."""
    key = str(db.engine.url)
    snap = _cache.get(key)
    now = time.monotonic()
    if snap is not None and now - snap.loaded_at < CHECK_SECONDS:
        return snap
    fp = _fingerprint()
    if snap is not None and snap.fingerprint == fp:
        snap.loaded_at = now
        return snap
    with _lock:
        snap = _load(fp)
        _cache[key] = snap
    return snap


def invalidate() -> None:
    """Forget the cached catalogue (call after a change, in the changing process)."""
    _cache.clear()


def resolve_category(snap: Snapshot, category: str) -> str:
    """A level-1 name, a 'level1/level2[/level3]' path, or a category code of any level -> path."""
    category = (category or "").strip()
    if category in snap.category_by_code:
        return snap.category_by_code[category]
    if category in snap.code_by_path:
        return category
    raise UnknownCategory(category)


def region_lineage(snap: Snapshot, region: str | None) -> list[str]:
    """From the region up to the city, most specific first; unknown regions raise."""
    if not region:
        return []
    if region not in snap.region_parent:
        raise UnknownRegion(region)
    out, node = [], region
    while node:
        out.append(node)
        node = snap.region_parent.get(node)
    return out


def category_candidates(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(len(parts), 0, -1)]


def match(category: str, region: str | None = None) -> dict | None:
    """The department for `category` in `region`, with the rule as the explanation; None when no rule
    applies. Raises UnknownCategory / UnknownRegion on unknown input."""
    snap = snapshot()
    path = resolve_category(snap, category)
    lineage = region_lineage(snap, region)
    tried = []
    for cat in category_candidates(path):
        for reg in [*lineage, ""]:
            tried.append(f"{cat}@{reg or '*'}")
            rule = snap.rules.get((cat, reg))
            if rule is not None:
                return explain(snap, rule, path, region, tried)
    return None


def explain(snap: Snapshot, rule: RuleView, path: str, region: str | None, tried: list[str]) -> dict:
    return {
        "department": rule.department_code,
        "department_name": rule.department_name,
        "rule": {
            "id": rule.id,
            "category_path": rule.category_path,
            "region": rule.region_code or None,
            "region_name": snap.region_name.get(rule.region_code) if rule.region_code else None,
            "note": rule.note,
            "updated_by": rule.updated_by,
            "updated_at": rule.updated_at,
        },
        "category": snap.code_by_path.get(path),
        "category_path": path,
        "region": region or None,
        # The keys looked at, in order, up to the one that matched: why this rule and not another.
        "tried": tried,
    }


def department_name(code: str) -> str | None:
    entry = snapshot().departments.get(code)
    return entry[0] if entry else None


def line_category(line: str | None) -> str | None:
    """The category a merged hotline number (12315 ...) pre-selects, as a category code."""
    if not line:
        return None
    path = db.session.scalar(select(HotlineLine.default_category_path).where(HotlineLine.number == line))
    if not path:
        return None
    return db.session.scalar(select(Category.code).where(Category.path == path))
