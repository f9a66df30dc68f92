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


SCHEDULE: tuple[Periodic, ...] = (Periodic("hotline.tasks.deadlines.sweep", 60),)


def enqueue_due(redis: Redis, now: float | None = None) -> list[str]:
    """Enqueue each periodic job once per interval slot, however many workers tick."""
    from hotline.tasks import enqueue_payload

    now = now or time.time()
    started = []
    for p in SCHEDULE:
        slot = int(now // p.every_seconds)
        key = f"hotline:periodic:{p.func}:{slot}"
        if redis.set(key, "1", nx=True, ex=p.every_seconds * 3):
            enqueue_payload(redis, {"func": p.func, "args": p.args})
            started.append(p.func)
    return started
