"""Report periods are local calendar days (Asia/Shanghai), turned into half-open UTC intervals."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from hotline.errors import ValidationError

TZ = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Period:
    first: dt.date  # the first local day
    last: dt.date  # the last local day (inclusive)

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time(), TZ).astimezone(dt.UTC)

    @property
    def end(self) -> dt.datetime:
        """Exclusive: midnight after the last day."""
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(), TZ).astimezone(dt.UTC)

    def label(self) -> str:
        return f"{self.first.isoformat()}..{self.last.isoformat()}"


def month(year: int, mon: int) -> Period:
    first = dt.date(year, mon, 1)
    nxt = dt.date(year + (mon == 12), mon % 12 + 1, 1)
    return Period(first, nxt - dt.timedelta(days=1))


def previous_month(p: Period) -> Period:
    prev_last = p.first - dt.timedelta(days=1)
    return month(prev_last.year, prev_last.month)


def parse_date(value: str | None, field: str) -> dt.date:
    if not value:
        raise ValidationError(f"{field} is required", fields={field: "YYYY-MM-DD"})
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"{field} is not a date", fields={field: "YYYY-MM-DD"}) from None


def parse_period(from_: str | None, to: str | None, max_days: int = 400) -> Period:
    first, last = parse_date(from_, "from"), parse_date(to, "to")
    if last < first:
        raise ValidationError("to is before from", fields={"to": "on or after from"})
    if (last - first).days >= max_days:
        raise ValidationError("period too long", fields={"to": f"at most {max_days} days after from"})
    return Period(first, last)


def parse_month(value: str | None, default: dt.date | None = None) -> Period:
    """YYYY-MM; without one, the month before `default` (today): the last complete month."""
    if not value:
        today = default or dt.datetime.now(TZ).date()
        return previous_month(month(today.year, today.month))
    try:
        y, m = value.split("-")
        return month(int(y), int(m))
    except ValueError:
        raise ValidationError("month is not YYYY-MM", fields={"month": "YYYY-MM"}) from None
