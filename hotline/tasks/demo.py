"""The live day's jobs (hotline.demo.live): while the switch on /agents/simulator is on, each minute's
contacts are planned as scheduled jobs, and each step schedules the steps that follow it."""

from __future__ import annotations

import datetime as dt
import random

from hotline import outbox
from hotline.extensions import db
from hotline.models.base import utcnow
from hotline.tasks import job

STEP_JOB = "hotline.tasks.demo.live_step"


def _schedule(steps: list, now: dt.datetime) -> None:
    for delay, name, args in steps:
        outbox.add_job(STEP_JOB, [name, args], at=now + dt.timedelta(seconds=delay))
    db.session.commit()
    outbox.kick()


@job(queue="low", timeout=30)
def live_tick() -> int:
    """Every minute: when the live day is on, the next minute's contacts (a Poisson number of them)."""
    from hotline.demo.live import live_rate, new_contact

    rate = live_rate()
    if not rate:
        return 0
    rng = random.Random()
    count, at = 0, rng.expovariate(rate / 60)
    steps = []
    while at < 60:
        _delay, name, args = new_contact(rng)
        steps.append((at, name, args))
        count += 1
        at += rng.expovariate(rate / 60)
    _schedule(steps, utcnow())
    return count


@job(queue="low", timeout=60)
def live_step(name: str, args: dict) -> int:
    from hotline.demo.live import run_step
    from hotline.errors import DomainError

    try:
        follow = run_step(name, args)
    except DomainError:
        db.session.rollback()
        return 0
    _schedule(follow, utcnow())
    return len(follow)
