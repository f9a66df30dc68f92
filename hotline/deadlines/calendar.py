"""The official working-day calendar (法定节假日 and 调休 make-up working days) in Asia/Shanghai.

A "working day" here is a whole local calendar day that is a working day; time on holidays and
weekends does not run. One working day from Friday 15:00 is Monday 15:00; from Saturday 10:00
it is the end of Monday. The `chinese-calendar` package knows the State Council's schedule for the
years it covers; for later years we fall back to Monday-Friday plus the fixed-date statutory holidays
until the package is updated, and a local override table (CalendarOverride) wins over both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from zoneinfo import ZoneInfo

import chinese_calendar

TZ = ZoneInfo("Asia/Shanghai")
DAY = dt.timedelta(days=1)
# Fixed-date statutory days (元旦, 劳动节, 国庆节) used only for years the package does not cover.
_FIXED_HOLIDAYS = {(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)}


class WorkingCalendar:
    def __init__(self, overrides: Mapping[dt.date, bool] | None = None):
        self.overrides = dict(overrides or {})

    def is_workday(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            return day.weekday() < 5 and (day.month, day.day) not in _FIXED_HOLIDAYS

    def add_working_time(self, start: dt.datetime, amount: dt.timedelta) -> dt.datetime:
        """The instant when `amount` of working time has run from `start`."""
        if amount <= dt.timedelta(0):
            return start
        t = start.astimezone(TZ)
        remaining = amount
        for _ in range(3660):  # ten years of days: a bound, never reached in practice
            day_end = dt.datetime.combine(t.date() + DAY, dt.time(0), TZ)
            if self.is_workday(t.date()):
                available = day_end - t
                if remaining <= available:
                    return (t + remaining).astimezone(dt.UTC)
                remaining -= available
            t = day_end
        raise ValueError("working time too far in the future")

    def add_working_days(self, start: dt.datetime, days: float) -> dt.datetime:
        return self.add_working_time(start, dt.timedelta(days=days))

    def working_time_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """How much working time runs from `start` to `end` (zero if end <= start)."""
        if end <= start:
            return dt.timedelta(0)
        t, end_local = start.astimezone(TZ), end.astimezone(TZ)
        total = dt.timedelta(0)
        while t < end_local:
            day_end = dt.datetime.combine(t.date() + DAY, dt.time(0), TZ)
            stop = min(day_end, end_local)
            if self.is_workday(t.date()):
                total += stop - t
            t = stop
        return total
