"""Periodic jobs declared as data and reconciled when a worker starts (Redash's schedule)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from redis import Redis


@dataclass(frozen=True)
class Periodic:
    func: str
    every_seconds: int
    args: list = field(default_factory=list)


SCHEDULE: tuple[Periodic, ...] = (
    Periodic("hotline.tasks.deadlines.sweep", 60),
    Periodic("hotline.tasks.reports.hotspot_scan", 900),
    Periodic("hotline.tasks.callbacks.sweep", 300),
    Periodic("hotline.tasks.deadlines.calendar_check", 86400),
    # The demo's live day (off unless switched on at /agents/simulator): next minute's contacts.
    Periodic("hotline.tasks.demo.live_tick", 60),
    Periodic("hotline.tasks.maintenance.purge_outbox", 3600),
)


def enqueue_due(redis: Redis, now: float | None = None, reconcile: bool = False) -> list[str]:
    """Enqueue each periodic job once per interval slot, however many workers tick.

    `reconcile` (at worker start) runs each job now whatever the slot: a worker that replaces a
    crashed one repairs what the crash left without waiting for the next slot."""
    from hotline.tasks import enqueue_payload

    now = now or time.time()
    started = []
    for p in SCHEDULE:
        slot = int(now // p.every_seconds)
        key = f"hotline:periodic:{p.func}:{slot}"
        fresh = redis.set(key, "1", nx=True, ex=p.every_seconds * 3)
        if fresh or reconcile:
            enqueue_payload(redis, {"func": p.func, "args": p.args})
            started.append(p.func)
    return started
