"""Shared column helpers: every time is timezone-aware UTC."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

# The demo history (hotline.demo) replays a month through the real actions: while it sets this, "now" is the
# replayed instant for every action, model default and rule that asks utcnow(). Nothing else sets it.
_replayed_now: ContextVar[datetime | None] = ContextVar("replayed_now", default=None)


def utcnow() -> datetime:
    replayed = _replayed_now.get()
    return replayed if replayed is not None else datetime.now(UTC)


@contextmanager
def replayed_clock() -> Iterator[ReplayedClock]:
    """A clock that the caller moves (`clock.set(instant)`); utcnow() answers its time until the block ends."""
    clock = ReplayedClock()
    token = _replayed_now.set(None)
    try:
        yield clock
    finally:
        _replayed_now.reset(token)


class ReplayedClock:
    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("naive datetime given to the replayed clock")
        _replayed_now.set(at.astimezone(UTC))

    def release(self) -> None:
        """Back to the real time (still inside the block)."""
        _replayed_now.set(None)


def as_utc(value: datetime | None) -> datetime | None:
    """A time as aware UTC (PostgreSQL gives the session's zone; a naive time is taken as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    """A time as ISO 8601 in UTC with a Z (how the API and the reports write times)."""
    return value.isoformat().replace("+00:00", "Z") if value else None


def sortable_stamp(value: datetime | None) -> str | None:
    """A UTC time as fixed-width text that sorts as time does (for times kept in JSON event data)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ") if value else None


class UTCDateTime(TypeDecorator):
    """A timestamptz that refuses naive times on the way in and comes back as aware UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        return as_utc(value)
