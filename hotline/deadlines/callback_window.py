"""When callback surveys (回访) may reach a caller: working days (official calendar), inside the daily
window HOTLINE_CALLBACK_WINDOW (default 08:30-20:00 Asia/Shanghai)."""

from __future__ import annotations

import datetime as dt
import re

from hotline.deadlines.calendar import TZ, WorkingCalendar

_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_window(spec: str) -> tuple[dt.time, dt.time]:
    m = _WINDOW.match(spec or "")
    if not m:
        raise ValueError(f"HOTLINE_CALLBACK_WINDOW must look like 08:30-20:00, not {spec!r}")
    h1, m1, h2, m2 = map(int, m.groups())
    start, end = dt.time(h1, m1), dt.time(h2, m2)
    if start >= end:
        raise ValueError(f"HOTLINE_CALLBACK_WINDOW ends before it starts: {spec!r}")
    return start, end


class CallbackWindow:
    def __init__(self, spec: str, calendar: WorkingCalendar):
        self.start, self.end = parse_window(spec)
        self.calendar = calendar

    def contains(self, at: dt.datetime) -> bool:
        local = at.astimezone(TZ)
        return self.calendar.is_workday(local.date()) and self.start <= local.time() < self.end

    def next_allowed(self, at: dt.datetime) -> dt.datetime:
        """`at` itself if inside the window, else the start of the next window (UTC)."""
        local = at.astimezone(TZ)
        for i in range(400):
            day = local.date() + dt.timedelta(days=i)
            if not self.calendar.is_workday(day):
                continue
            opens = dt.datetime.combine(day, self.start, TZ)
            closes = dt.datetime.combine(day, self.end, TZ)
            if local < opens:
                return opens.astimezone(dt.UTC)
            if local < closes:
                return local.astimezone(dt.UTC)
        raise ValueError("no callback window within 400 days")

    def first_callback(self, approved_at: dt.datetime, delay_minutes: str | int | None) -> dt.datetime:
        """The first call: `delay_minutes` after approval if configured, else the next business day."""
        if delay_minutes not in (None, ""):
            return self.next_allowed(approved_at + dt.timedelta(minutes=int(delay_minutes)))  # type: ignore[arg-type]
        day = approved_at.astimezone(TZ).date() + dt.timedelta(days=1)
        while not self.calendar.is_workday(day):
            day += dt.timedelta(days=1)
        return self.next_allowed(dt.datetime.combine(day, dt.time(0), TZ))
