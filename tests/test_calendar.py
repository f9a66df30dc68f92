"""Working days by the official calendar: the 2026 National Day holiday and its make-up Saturday."""

from __future__ import annotations

import datetime as dt

import pytest

from hotline.deadlines.calendar import TZ, WorkingCalendar


def local(y, m, d, h=0, mi=0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=TZ)


cal = WorkingCalendar()


def test_official_holidays_and_make_up_days():
    assert not cal.is_workday(dt.date(2026, 10, 1))  # National Day
    assert not cal.is_workday(dt.date(2026, 10, 7))
    assert cal.is_workday(dt.date(2026, 10, 10))  # make-up Saturday (调休)
    assert cal.is_workday(dt.date(2026, 9, 20))  # make-up Sunday
    assert not cal.is_workday(dt.date(2026, 9, 25))  # Mid-Autumn Festival, a Friday
    assert not cal.is_workday(dt.date(2026, 11, 28))  # an ordinary Saturday


@pytest.mark.parametrize(
    "start, days, expected",
    [
        (local(2026, 9, 30, 15), 1, local(2026, 10, 8, 15)),  # across the National Day holiday
        (local(2026, 10, 9, 15), 1, local(2026, 10, 10, 15)),  # onto the make-up Saturday
        (local(2026, 10, 9, 15), 2, local(2026, 10, 12, 15)),  # then over the Sunday
        (local(2026, 9, 30, 10), 5, local(2026, 10, 13, 10)),
        (local(2026, 10, 3, 10), 1, local(2026, 10, 9, 0)),  # started on a holiday: counts from Oct 8
        (local(2026, 11, 27, 9), 1, local(2026, 11, 30, 9)),  # Friday -> Monday
        (local(2026, 11, 26, 9), 15, local(2026, 12, 17, 9)),
    ],
)
def test_add_working_days(start, days, expected):
    assert cal.add_working_days(start, days) == expected


def test_working_time_between_skips_holidays():
    assert cal.working_time_between(local(2026, 9, 30, 12), local(2026, 10, 8, 12)) == dt.timedelta(hours=24)
    assert cal.working_time_between(local(2026, 10, 3), local(2026, 10, 6)) == dt.timedelta(0)
    assert cal.working_time_between(local(2026, 10, 8), local(2026, 10, 7)) == dt.timedelta(0)


def test_local_overrides_win():
    city = WorkingCalendar({dt.date(2026, 10, 8): False, dt.date(2026, 10, 11): True})
    assert city.add_working_days(local(2026, 9, 30, 15), 1) == local(2026, 10, 9, 15)
    assert city.add_working_days(local(2026, 10, 10, 15), 1) == local(2026, 10, 11, 15)


def test_years_the_package_does_not_know_fall_back_to_weekdays_and_fixed_holidays():
    assert not cal.is_workday(dt.date(2027, 1, 1))
    assert cal.is_workday(dt.date(2027, 1, 4))
    assert not cal.is_workday(dt.date(2027, 1, 9))
    assert cal.add_working_days(local(2026, 12, 31, 10), 1) == local(2027, 1, 4, 10)


def test_results_are_utc():
    assert cal.add_working_days(local(2026, 11, 26, 9), 1).tzinfo == dt.UTC
