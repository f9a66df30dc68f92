"""Readiness (GET /readyz) and the figures that GET /metrics reads at scrape time.

Each check answers a small dict with `ok`; the view answers 503 when one is not ok. Checks never raise: a
database or Redis that is down is a failed check, not a 500.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import time
from collections.abc import Callable, Iterable

from flask import current_app
from prometheus_client.core import GaugeMetricFamily
from rq import Queue
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select, text

from hotline.extensions import db, get_redis
from hotline.models import Call, OutboxMessage
from hotline.models.base import utcnow
from hotline.tasks import QUEUES

# Sorted set of the workers' heartbeats: member "host:pid", score the Unix time of its last tick.
HEARTBEAT_KEY = "hotline:worker-heartbeats"
HEARTBEAT_FORGET_SECONDS = 86400
TZ = "Asia/Shanghai"


def beat(redis, now: float | None = None) -> None:
    """The worker's ticker calls this every tick; heartbeats older than a day are dropped."""
    now = time.time() if now is None else now
    with redis.pipeline(transaction=False) as pipe:
        pipe.zadd(HEARTBEAT_KEY, {f"{socket.gethostname()}:{os.getpid()}": now})
        pipe.zremrangebyscore(HEARTBEAT_KEY, "-inf", now - HEARTBEAT_FORGET_SECONDS)
        pipe.execute()


def _guarded(check: Callable[[], dict]) -> dict:
    started = time.perf_counter()
    try:
        result = check()
    except Exception as exc:  # noqa: BLE001 - any failure of a dependency is a failed check
        db.session.rollback()
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def check_database() -> dict:
    db.session.execute(text("SELECT 1"))
    db.session.rollback()
    return {"ok": True}


def check_redis() -> dict:
    get_redis().ping()
    return {"ok": True}


def check_worker() -> dict:
    limit = current_app.config["READY_WORKER_HEARTBEAT_MAX_SECONDS"]
    newest = get_redis().zrevrange(HEARTBEAT_KEY, 0, 0, withscores=True)
    if not newest:
        return {"ok": False, "error": "no worker has written a heartbeat", "max_age_seconds": limit}
    member, at = newest[0]
    age = max(0.0, time.time() - at)
    return {"ok": age <= limit, "age_seconds": round(age, 1), "max_age_seconds": limit, "worker": member.decode()}


def outbox_backlog() -> tuple[int, dt.datetime | None]:
    row = db.session.execute(
        select(func.count(), func.min(OutboxMessage.created_at)).where(OutboxMessage.delivered_at.is_(None))
    ).one()
    db.session.rollback()
    return int(row[0]), row[1]


def check_outbox() -> dict:
    limit = current_app.config["READY_OUTBOX_MAX_AGE_SECONDS"]
    backlog, oldest = outbox_backlog()
    age = max(0.0, (utcnow() - oldest).total_seconds()) if oldest else None
    return {
        "ok": age is None or age <= limit,
        "backlog": backlog,
        "oldest_undelivered": oldest.isoformat() if oldest else None,
        "oldest_age_seconds": round(age, 1) if age is not None else None,
        "max_age_seconds": limit,
    }


def calendar_source(year: int) -> str:
    """`official` when the State Council's schedule for the year is known (imported with `calendar import`, or
    built into the chinese-calendar package), else `provisional` (weekends and the statutory holidays by rule,
    no make-up days; see hotline.deadlines.calendar)."""
    from hotline.deadlines import limits
    from hotline.deadlines.calendar import WorkingCalendar

    try:
        cal = limits.calendar()
    except RuntimeError:  # no application context: what the package knows
        cal = WorkingCalendar()
    return "provisional" if cal.is_provisional(year) else "official"


def check_calendar(today: dt.date | None = None) -> dict:
    """The current year must be official (deadlines counted now depend on it). Next year's schedule is
    published in the autumn: until it is, next year is provisional, which is reported as a warning."""
    from zoneinfo import ZoneInfo

    today = today or dt.datetime.now(ZoneInfo(TZ)).date()
    years = {str(y): calendar_source(y) for y in (today.year, today.year + 1)}
    result: dict = {"ok": years[str(today.year)] == "official", "years": years}
    if years[str(today.year + 1)] != "official":
        result["warning"] = f"{today.year + 1}: official schedule not loaded yet (provisional working days)"
    return result


CHECKS: dict[str, Callable[[], dict]] = {
    "database": check_database,
    "redis": check_redis,
    "worker": check_worker,
    "outbox": check_outbox,
    "calendar": check_calendar,
}


def readiness() -> tuple[bool, dict]:
    checks = {name: _guarded(check) for name, check in CHECKS.items()}
    return all(c["ok"] for c in checks.values()), checks


def live_metrics() -> Iterable:
    """Gauges read at scrape time from PostgreSQL and Redis; a dependency that is down leaves its figures out
    (the readiness check names it)."""
    out = []
    try:
        backlog, oldest = outbox_backlog()
        waiting = db.session.scalar(
            select(func.count())
            .select_from(Call)
            .where(Call.queued.is_(True), Call.answered_at.is_(None), Call.ended_at.is_(None))
        )
        db.session.rollback()
        out.append(GaugeMetricFamily("hotline_outbox_backlog", "Outbox rows not delivered yet", value=backlog))
        age = (utcnow() - oldest).total_seconds() if oldest else 0.0
        out.append(
            GaugeMetricFamily(
                "hotline_outbox_oldest_age_seconds", "Age of the oldest undelivered outbox row", value=age
            )
        )
        out.append(GaugeMetricFamily("hotline_calls_waiting", "Calls waiting for an operator", value=waiting or 0))
    except Exception:  # noqa: BLE001
        db.session.rollback()
    try:
        redis = get_redis()
        lengths = GaugeMetricFamily("hotline_rq_queue_length", "Jobs waiting in each RQ queue", labels=["queue"])
        failed = GaugeMetricFamily(
            "hotline_rq_jobs_failed", "Jobs in each RQ queue's failed registry", labels=["queue"]
        )
        for name in QUEUES:
            queue = Queue(name, connection=redis)
            lengths.add_metric([name], queue.count)
            failed.add_metric([name], FailedJobRegistry(queue=queue).count)
        out += [lengths, failed]
        newest = redis.zrevrange(HEARTBEAT_KEY, 0, 0, withscores=True)
        if newest:
            out.append(
                GaugeMetricFamily(
                    "hotline_worker_heartbeat_age_seconds",
                    "Seconds since the newest worker heartbeat",
                    value=max(0.0, time.time() - newest[0][1]),
                )
            )
    except Exception:  # noqa: BLE001
        pass
    return out
