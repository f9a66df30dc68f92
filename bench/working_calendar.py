#!/usr/bin/env python
"""Working-calendar benchmark: the cost of one due-time computation (15 working days), the step every
dispatch, sign and extension takes, for a year the `chinese-calendar` package knows and for a provisional one.

Prints figures, not pass/fail. Baseline in the same run: the same loop asking `chinese_calendar.is_workday`
for every day (what the calendar did before it memoised its days). Run from the repository root:

    .venv/bin/python bench/working_calendar.py [--n 2000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import chinese_calendar  # noqa: E402

from hotline.deadlines.calendar import WorkingCalendar  # noqa: E402


class _PackageOnly(WorkingCalendar):
    """The baseline: every day asked of the package (Monday-Friday past its last year), no memo."""

    def is_workday(self, day: dt.date) -> bool:
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            return day.weekday() < 5


def _per_call_us(cal: WorkingCalendar, start: dt.datetime, n: int) -> float:
    t0 = time.perf_counter()
    for i in range(n):
        cal.add_working_days(start + dt.timedelta(minutes=i), 15)
    return (time.perf_counter() - t0) / n * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000)
    n = ap.parse_args().n
    rows = []
    for label, start in (
        ("2026 (package year)", dt.datetime(2026, 9, 28, 2, tzinfo=dt.UTC)),
        ("2027 (provisional)", dt.datetime(2027, 1, 28, 2, tzinfo=dt.UTC)),
    ):
        base = _per_call_us(_PackageOnly(), start, n)
        new = _per_call_us(WorkingCalendar(), start, n)  # one calendar object, as limits.calendar() caches it
        rows.append((label, base, new))
    print(f"{'year':<22}{'baseline µs/call':>18}{'calendar µs/call':>18}{'speed-up':>10}")
    for label, base, new in rows:
        print(f"{label:<22}{base:>18.1f}{new:>18.1f}{base / new:>9.1f}x")


if __name__ == "__main__":
    main()
