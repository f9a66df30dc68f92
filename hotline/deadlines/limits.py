"""Due times from the configured limits (DOMAIN.md "Time limits"): type x urgency -> amount + unit."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from hotline.deadlines.calendar import WorkingCalendar
from hotline.extensions import db


@dataclass(frozen=True)
class Limit:
    amount: float
    unit: str  # "wd" working days | "min" natural minutes

    @property
    def natural(self) -> bool:
        return self.unit == "min"


_calendar_cache: dict[str, tuple[float, WorkingCalendar]] = {}
_CACHE_SECONDS = 60.0


def calendar() -> WorkingCalendar:
    """The working calendar: imported official years, the package's years, provisional years by rule,
    and this city's overrides (cached for a minute; actions that change it clear the cache)."""
    key = current_app.config["SQLALCHEMY_DATABASE_URI"]
    hit = _calendar_cache.get(key)
    if hit and time.monotonic() - hit[0] < _CACHE_SECONDS:
        return hit[1]
    cal = load_calendar()
    _calendar_cache[key] = (time.monotonic(), cal)
    return cal


def load_calendar() -> WorkingCalendar:
    """The calendar as the database says now (no cache)."""
    from hotline.models import CalendarOverride, OfficialCalendarDay, OfficialCalendarYear

    overrides = db.session.execute(
        select(CalendarOverride.day, CalendarOverride.is_workday, CalendarOverride.note)
    ).all()
    official = db.session.execute(
        select(OfficialCalendarDay.day, OfficialCalendarDay.is_workday, OfficialCalendarDay.name)
    ).all()
    years = set(db.session.scalars(select(OfficialCalendarYear.year)))
    return WorkingCalendar(
        {dt.date.fromisoformat(d): w for d, w, _ in overrides},
        {d: (w, n) for d, w, n in official},
        years,
        {dt.date.fromisoformat(d): n for d, _, n in overrides},
    )


def clear_calendar_cache() -> None:
    _calendar_cache.clear()


def limit_for(clock: str, ticket_type: str, urgency: str) -> Limit | None:
    """The configured limit for a clock ("sign", "handle", "return_window"), or None if not allowed."""
    table = current_app.config["TIME_LIMITS"][clock]
    entry = table.get(urgency)
    if isinstance(entry, dict):
        entry = entry.get(ticket_type)
    if not entry:
        return None
    return Limit(float(entry[0]), str(entry[1]))


def config_value(name: str, default: float) -> float:
    return float(current_app.config["TIME_LIMITS"].get(name, default))


def warning_fraction() -> float:
    return config_value("warning_fraction", 0.8)


def notice_at(due_at: dt.datetime) -> dt.datetime:
    """When an overdue ticket reaches the public-notice level (通报): N working days past due."""
    return calendar().add_working_days(due_at, config_value("notice_after_wd", 5))


def due(start: dt.datetime, limit: Limit) -> dt.datetime:
    if limit.natural:
        return start + dt.timedelta(minutes=limit.amount)
    return calendar().add_working_days(start, limit.amount)


def warning_at(start: dt.datetime, due_at: dt.datetime, limit: Limit) -> dt.datetime:
    """The yellow-warning instant: the configured fraction of the allowed time (default 80%)."""
    fraction = warning_fraction()
    if limit.natural:
        return start + (due_at - start) * fraction
    cal = calendar()
    return cal.add_working_time(start, cal.working_time_between(start, due_at) * fraction)


def shift_for_pause(due_at: dt.datetime, paused_from: dt.datetime, paused_to: dt.datetime, limit: Limit) -> dt.datetime:
    """Push a due time back by the time spent waiting for the centre (it does not count)."""
    if limit.natural:
        return due_at + max(paused_to - paused_from, dt.timedelta(0))
    cal = calendar()
    return cal.add_working_time(due_at, cal.working_time_between(paused_from, paused_to))
