"""Presence timers: the end of after-call work, and the away check for a console that went away."""

from __future__ import annotations

import datetime as dt
import time

from hotline.tasks import job


@job(queue="high", timeout=30)
def end_after_call(user_id: int, until: str) -> bool:
    from hotline.actions.presence import end_after_call as end

    return end(user_id, dt.datetime.fromisoformat(until))


@job(queue="high", timeout=30)
def away_if_gone(user_id: int) -> bool:
    from hotline.actions.presence import away_if_console_gone

    return away_if_console_gone(user_id, time.time())
