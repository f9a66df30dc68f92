"""办理情况公开: the departments' monthly figures for the public, from the same SQL as the KPI report
(hotline.reports.kpis.department_kpis): on-time resolution, resolution and satisfaction rates, and a rank
by the composite score within each kind of department (bureaus, districts, utilities, streets).

Only a month that has ended is published. A department with fewer than MIN_TICKETS tickets dispatched to it
that month is listed without a rank: a handful of tickets says little about it."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

from flask import current_app

from hotline.errors import ValidationError
from hotline.reports import kpis
from hotline.reports.periods import TZ, Period, month

MIN_TICKETS = 5
_CACHE_SECONDS = 600.0
_cache: dict[tuple[str, str], tuple[float, dict]] = {}
_lock = threading.Lock()


def parse_month(value: str | None, today: dt.date | None = None) -> Period:
    """YYYY-MM of a month that has ended; the last one by default."""
    today = today or dt.datetime.now(TZ).date()
    if not value:
        last = today.replace(day=1) - dt.timedelta(days=1)
        return month(last.year, last.month)
    try:
        first = dt.datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise ValidationError("month is not YYYY-MM", fields={"month": "YYYY-MM"}) from None
    if first.year < 2000:
        raise ValidationError("month out of range", fields={"month": "a month from 2000 on"})
    period = month(first.year, first.month)
    if period.last >= today:
        raise ValidationError("the month has not ended", fields={"month": "a month that has ended"})
    return period


def published_rankings(period: Period, now: dt.datetime | None = None) -> dict[str, Any]:
    key = (current_app.config["SQLALCHEMY_DATABASE_URI"], period.first.isoformat())
    with _lock:
        hit = _cache.get(key)
    if hit and time.monotonic() - hit[0] < _CACHE_SECONDS and now is None:
        return hit[1]
    rows = kpis.department_kpis(period, kpis.departments(kpis.RANKED_KINDS), now)
    out = []
    for kind in kpis.RANKED_KINDS:
        group = [r for r in rows if r["kind"] == kind]
        rankable = sorted(
            (r for r in group if r["dispatched"] >= MIN_TICKETS and r["score"] is not None),
            key=lambda r: (-r["score"], r["department"]),
        )
        ranks = {r["department"]: i for i, r in enumerate(rankable, 1)}
        for r in sorted(
            group, key=lambda r: (r["department"] not in ranks, ranks.get(r["department"], 0), r["department"])
        ):
            out.append(
                {
                    "department": r["department"],
                    "name": r["name"],
                    "kind": kind,
                    "tickets": r["dispatched"],
                    "rank": ranks.get(r["department"]),
                    "score": r["score"],
                    "on_time_rate": r["resolved_on_time_rate"],
                    "signed_on_time_rate": r["signed_on_time_rate"],
                    "resolution_rate": r["resolution_rate"],
                    "satisfaction_rate": r["satisfaction_rate"],
                }
            )
    result = {"month": period.first.strftime("%Y-%m"), "min_tickets": MIN_TICKETS, "departments": out}
    if now is None:
        with _lock:
            _cache[key] = (time.monotonic(), result)
    return result


def clear_cache() -> None:
    with _lock:
        _cache.clear()
