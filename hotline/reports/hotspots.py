"""热点 and 反复投诉: hotspots, repeat complaints and the week's top issues, each one query over a time range.

A hotspot is a category x region whose ticket count in the sliding window (default the last 24 hours)
is at least `min_count` and at least `factor` times its own baseline: the mean count per window over
the `baseline_days` before the window. An alert is raised once per episode: not again for the same
pair while an earlier alert's window overlaps the current one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from sqlalchemy import and_, func, select

from hotline import outbox
from hotline.extensions import db
from hotline.models import Caller, Category, HotspotAlert, Region, Ticket
from hotline.models.base import utcnow

DEFAULTS = {"window_hours": 24, "baseline_days": 14, "factor": 3.0, "min_count": 5}
REPEAT_DEFAULTS = {"days": 30, "min_count": 3}
# What counts as a complaint for repeat supervision (反复投诉): complaints, reports and help requests.
REPEAT_TYPES = ("complaint", "report", "help")


def settings() -> dict[str, Any]:
    return {**DEFAULTS, **current_app.config.get("HOTSPOTS", {})}


def scan(now: dt.datetime | None = None, cfg: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The pairs that are hot now, hottest first."""
    now = now or utcnow()
    cfg = {**settings(), **(cfg or {})}
    window = dt.timedelta(hours=cfg["window_hours"])
    base = dt.timedelta(days=cfg["baseline_days"])
    window_start = now - window
    in_window = Ticket.created_at >= window_start
    q = (
        select(
            Ticket.category_code,
            Ticket.region_code,
            func.count().filter(in_window).label("count"),
            func.count().filter(~in_window).label("base_total"),
        )
        .where(
            Ticket.created_at >= window_start - base,
            Ticket.created_at < now,
            Ticket.category_code.is_not(None),
            Ticket.region_code.is_not(None),
        )
        .group_by(Ticket.category_code, Ticket.region_code)
        .having(func.count().filter(in_window) >= cfg["min_count"])
    )
    windows_in_baseline = base / window
    hot = []
    for r in db.session.execute(q):
        baseline = r.base_total / windows_in_baseline
        if r.count >= cfg["factor"] * baseline:
            hot.append(
                {
                    "category": r.category_code,
                    "region": r.region_code,
                    "count": r.count,
                    "baseline": round(baseline, 3),
                    "window_start": window_start,
                    "window_end": now,
                }
            )
    hot.sort(key=lambda h: (-h["count"], h["category"], h["region"]))
    return hot


def alert_dict(a: HotspotAlert, names: dict[str, str] | None = None) -> dict[str, Any]:
    from hotline.models.base import iso

    names = names or {}
    return {
        "id": a.id,
        "category": a.category_code,
        "category_name": names.get("c" + a.category_code),
        "region": a.region_code,
        "region_name": names.get("r" + a.region_code),
        "count": a.count,
        "baseline": a.baseline,
        "window_start": iso(a.window_start),
        "window_end": iso(a.window_end),
        "created_at": iso(a.created_at),
    }


def names_for(categories: set[str], regions: set[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    if categories:
        out.update(
            {
                "c" + c: n
                for c, n in db.session.execute(
                    select(Category.code, Category.name).where(Category.code.in_(categories))
                )
            }
        )
    if regions:
        out.update(
            {
                "r" + c: n
                for c, n in db.session.execute(select(Region.code, Region.name).where(Region.code.in_(regions)))
            }
        )
    return out


def raise_alerts(now: dt.datetime | None = None) -> list[int]:
    """Record an alert per new hotspot and tell the supervisors (Socket.IO via the outbox)."""
    now = now or utcnow()
    cfg = settings()
    window = dt.timedelta(hours=cfg["window_hours"])
    created = []
    try:
        for h in scan(now, cfg):
            recent = db.session.scalar(
                select(HotspotAlert.id).where(
                    HotspotAlert.category_code == h["category"],
                    HotspotAlert.region_code == h["region"],
                    HotspotAlert.window_end > now - window,
                )
            )
            if recent is not None:
                continue
            alert = HotspotAlert(
                category_code=h["category"],
                region_code=h["region"],
                window_start=h["window_start"],
                window_end=now,
                count=h["count"],
                baseline=h["baseline"],
                created_at=now,
            )
            db.session.add(alert)
            db.session.flush()
            names = names_for({alert.category_code}, {alert.region_code})
            outbox.add_socket_event({"type": "hotspot", "op": "alert", **alert_dict(alert, names)}, ["supervisors"])
            created.append(alert.id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    if created:
        outbox.kick()
    return created


def alerts(start: dt.datetime, end: dt.datetime, limit: int = 200) -> list[dict[str, Any]]:
    rows = list(
        db.session.scalars(
            select(HotspotAlert)
            .where(HotspotAlert.window_end >= start, HotspotAlert.window_end < end)
            .order_by(HotspotAlert.window_end.desc(), HotspotAlert.id.desc())
            .limit(limit)
        )
    )
    names = names_for({a.category_code for a in rows}, {a.region_code for a in rows})
    return [alert_dict(a, names) for a in rows]


def repeat_complaints(
    end: dt.datetime | None = None, days: int | None = None, min_count: int | None = None, limit: int = 100
) -> dict[str, list[dict[str, Any]]]:
    """反复投诉: one caller, or one address and category, with `min_count` tickets in `days`."""
    from hotline.models.base import iso

    end = end or utcnow()
    days = days or REPEAT_DEFAULTS["days"]
    min_count = min_count or REPEAT_DEFAULTS["min_count"]
    start = end - dt.timedelta(days=days)
    base = and_(Ticket.created_at >= start, Ticket.created_at < end, Ticket.type.in_(REPEAT_TYPES))

    by_caller = db.session.execute(
        select(Ticket.caller_id, func.count().label("n"), func.min(Ticket.created_at), func.max(Ticket.created_at))
        .where(base, Ticket.caller_id.is_not(None))
        .group_by(Ticket.caller_id)
        .having(func.count() >= min_count)
        .order_by(func.count().desc(), Ticket.caller_id)
        .limit(limit)
    ).all()
    by_place = db.session.execute(
        select(
            Ticket.address,
            Ticket.category_code,
            func.count().label("n"),
            func.min(Ticket.created_at),
            func.max(Ticket.created_at),
        )
        .where(base, Ticket.address.is_not(None), Ticket.address != "", Ticket.category_code.is_not(None))
        .group_by(Ticket.address, Ticket.category_code)
        .having(func.count() >= min_count)
        .order_by(func.count().desc(), Ticket.address)
        .limit(limit)
    ).all()

    caller_ids = [r[0] for r in by_caller]
    numbers: dict[Any, list[str]] = {}
    callers: dict[int, Caller] = {}
    if caller_ids:
        callers = {c.id: c for c in db.session.scalars(select(Caller).where(Caller.id.in_(caller_ids)))}
        for cid, number in db.session.execute(
            select(Ticket.caller_id, Ticket.number)
            .where(base, Ticket.caller_id.in_(caller_ids))
            .order_by(Ticket.created_at)
        ):
            numbers.setdefault(("caller", cid), []).append(number)
    if by_place:
        places = {(r[0], r[1]) for r in by_place}
        for addr, cat, number in db.session.execute(
            select(Ticket.address, Ticket.category_code, Ticket.number)
            .where(base, Ticket.address.in_({p[0] for p in places}), Ticket.category_code.in_({p[1] for p in places}))
            .order_by(Ticket.created_at)
        ):
            if (addr, cat) in places:
                numbers.setdefault(("place", addr, cat), []).append(number)
    names = names_for({r[1] for r in by_place}, set())
    return {
        "by_caller": [
            {
                "caller_phone": callers[cid].phone if cid in callers else None,
                "caller_name": callers[cid].name if cid in callers else None,
                "count": n,
                "first_at": iso(first),
                "last_at": iso(last),
                "tickets": numbers.get(("caller", cid), []),
            }
            for cid, n, first, last in by_caller
        ],
        "by_address": [
            {
                "address": addr,
                "category": cat,
                "category_name": names.get("c" + cat),
                "count": n,
                "first_at": iso(first),
                "last_at": iso(last),
                "tickets": numbers.get(("place", addr, cat), []),
            }
            for addr, cat, n, first, last in by_place
        ],
    }


def top_issues(end: dt.datetime | None = None, days: int = 7, limit: int = 10) -> list[dict[str, Any]]:
    """The week's top categories by ticket count, with the week before beside them."""
    end = end or utcnow()
    span = dt.timedelta(days=days)
    this = Ticket.created_at >= end - span
    rows = db.session.execute(
        select(
            Ticket.category_code, func.count().filter(this).label("count"), func.count().filter(~this).label("previous")
        )
        .where(Ticket.created_at >= end - 2 * span, Ticket.created_at < end, Ticket.category_code.is_not(None))
        .group_by(Ticket.category_code)
        .having(func.count().filter(this) > 0)
        .order_by(func.count().filter(this).desc(), Ticket.category_code)
        .limit(limit)
    ).all()
    names = names_for({r[0] for r in rows}, set())
    return [
        {
            "rank": i,
            "category": c,
            "category_name": names.get("c" + c),
            "count": n,
            "previous": prev,
            "change": n - prev,
        }
        for i, (c, n, prev) in enumerate(rows, 1)
    ]
