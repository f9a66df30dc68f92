"""The official working-day calendar (法定节假日 and 调休 make-up working days) in Asia/Shanghai.

A "working day" here is a whole local calendar day that is a working day; time on holidays and
weekends does not run. One working day from Friday 15:00 is Monday 15:00; from Saturday 10:00
it is the end of Monday.

Where a day's answer comes from, in order (the `source` of `CalendarDay`):
1. `override`: the city's own change to one day (CalendarOverride, admins).
2. `official`: a year whose State Council notice was imported (`calendar import`, OfficialCalendarYear):
   the days listed, and Monday-Friday for the rest; else the `chinese-calendar` package for the years it
   covers (it stops at 2026 in version 1.11).
3. `provisional`: any other year: weekends plus the statutory holidays computed from their rules
   (全国年节及纪念日放假办法, 2025 revision) with the lunar calendar of `lunar-python`. The make-up working
   days (调休) cannot be known before the notice, so none are assumed.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import chinese_calendar
from lunar_python import Lunar, Solar

TZ = ZoneInfo("Asia/Shanghai")
DAY = dt.timedelta(days=1)
SOURCES = ("official", "override", "provisional")
# The package names its holidays in English ("Spring Festival"); the calendar answers in Chinese.
_PACKAGE_NAMES = {h.value: h.chinese for h in chinese_calendar.Holiday}


@dataclass(frozen=True)
class CalendarDay:
    date: dt.date
    workday: bool
    name: str | None
    source: str  # official | override | provisional

    def as_dict(self) -> dict:
        return {"date": self.date.isoformat(), "workday": self.workday, "name": self.name, "source": self.source}


@functools.cache
def statutory_holidays(year: int) -> dict[dt.date, str]:
    """The statutory days off of `year` by rule: 元旦 1 Jan; 春节 除夕 to 初三; 清明 on the solar term;
    劳动节 1-2 May; 端午 5/5 and 中秋 8/15 lunar; 国庆 1-3 Oct. No make-up days, no bridging."""
    days: dict[dt.date, str] = {}

    def add(day: dt.date, name: str) -> None:
        days.setdefault(day, name)

    add(dt.date(year, 1, 1), "元旦")
    # 除夕 is the day before 初一 (the 29th or 30th of the twelfth month): step back from 初一.
    new_year = _solar(Lunar.fromYmd(year, 1, 1).getSolar())
    for offset in range(-1, 3):
        add(new_year + dt.timedelta(days=offset), "春节")
    add(_solar(Lunar.fromYmd(year, 3, 1).getJieQiTable()["清明"]), "清明节")
    add(dt.date(year, 5, 1), "劳动节")
    add(dt.date(year, 5, 2), "劳动节")
    add(_solar(Lunar.fromYmd(year, 5, 5).getSolar()), "端午节")
    add(_solar(Lunar.fromYmd(year, 8, 15).getSolar()), "中秋节")
    for d in (1, 2, 3):
        add(dt.date(year, 10, d), "国庆节")
    return {d: n for d, n in days.items() if d.year == year}


def _solar(s: Solar) -> dt.date:
    return dt.date(s.getYear(), s.getMonth(), s.getDay())


@functools.cache
def package_covers(year: int) -> bool:
    """Whether the `chinese-calendar` package knows `year`'s official schedule."""
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


class WorkingCalendar:
    """`overrides`: day -> workday; `official`: imported days -> (workday, name); `official_years`: the
    imported years (their unlisted days are Monday-Friday working days)."""

    def __init__(
        self,
        overrides: Mapping[dt.date, bool] | None = None,
        official: Mapping[dt.date, tuple[bool, str | None]] | None = None,
        official_years: set[int] | frozenset[int] | None = None,
        override_notes: Mapping[dt.date, str | None] | None = None,
    ):
        self.overrides = dict(overrides or {})
        self.override_notes = dict(override_notes or {})
        self.official = dict(official or {})
        self.official_years = frozenset(official_years or ())
        self._memo: dict[dt.date, bool] = {}

    def is_provisional(self, year: int) -> bool:
        return year not in self.official_years and not package_covers(year)

    def base_day(self, day: dt.date) -> CalendarDay:
        """The day without the city's overrides."""
        if day.year in self.official_years:
            workday, name = self.official.get(day, (day.weekday() < 5, None))
            return CalendarDay(day, workday, name, "official")
        if package_covers(day.year):
            on_holiday, holiday = chinese_calendar.get_holiday_detail(day)
            return CalendarDay(day, not on_holiday, _PACKAGE_NAMES.get(holiday, holiday), "official")
        name = statutory_holidays(day.year).get(day)
        return CalendarDay(day, day.weekday() < 5 and name is None, name, "provisional")

    def day(self, day: dt.date) -> CalendarDay:
        if day in self.overrides:
            base = self.base_day(day)
            return CalendarDay(day, self.overrides[day], self.override_notes.get(day) or base.name, "override")
        return self.base_day(day)

    def is_workday(self, day: dt.date) -> bool:
        """The hot path of every due-time computation: memoised per day (a calendar lives a minute)."""
        hit = self._memo.get(day)
        if hit is None:
            hit = self._memo[day] = self._is_workday(day)
        return hit

    def _is_workday(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        if day.year in self.official_years:
            entry = self.official.get(day)
            return entry[0] if entry is not None else day.weekday() < 5
        if package_covers(day.year):
            return chinese_calendar.is_workday(day)
        return day.weekday() < 5 and day not in statutory_holidays(day.year)

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


def provisional_years(cal: WorkingCalendar, today: dt.date) -> list[int]:
    """The years to warn about: the current one, and from 1 November the next, while provisional."""
    years = [today.year] + ([today.year + 1] if today.month >= 11 else [])
    return [y for y in years if cal.is_provisional(y)]
