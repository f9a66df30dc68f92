"""psycopg cursors whose `description` is built only when read (the driver builds it for every result).

SQLAlchemy asks each result's `cursor.description`; for a statement it has run before (its result metadata
cached) it only checks that the description is not None. psycopg builds a Column object per result column at
every read (about 4 µs each: 55 for a ticket row), so a third of the time that SQLAlchemy's ORM spent per
statement of the demo replay went on descriptions nobody read (cProfile of bench/demo_history.py: 9% of the
whole replay). Here the description is a sequence of the same Column objects, made on first access from the
result it describes (kept with it, so reading it after the cursor moved on still describes that result)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import psycopg
from psycopg import Column
from psycopg.pq import ExecStatus
from sqlalchemy import event
from sqlalchemy.pool import Pool

_ROWS = (ExecStatus.TUPLES_OK, ExecStatus.SINGLE_TUPLE, ExecStatus.TUPLES_CHUNK)


class _Described:
    """What psycopg's Column reads from a cursor, kept at the time of the result."""

    __slots__ = ("pgresult", "_encoding", "adapters")

    def __init__(self, pgresult: Any, encoding: str, adapters: Any) -> None:
        self.pgresult, self._encoding, self.adapters = pgresult, encoding, adapters


class LazyDescription(Sequence):
    __slots__ = ("_of", "_n", "_columns")

    def __init__(self, of: _Described, n: int) -> None:
        self._of, self._n = of, n
        self._columns: list[Column] | None = None

    def _all(self) -> list[Column]:
        columns = self._columns
        if columns is None:
            columns = self._columns = [Column(self._of, i) for i in range(self._n)]  # type: ignore[arg-type]
        return columns

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, index):  # type: ignore[override]
        return self._all()[index]

    def __iter__(self) -> Iterator[Column]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    def __repr__(self) -> str:
        return repr(self._all())


class Cursor(psycopg.Cursor):
    """psycopg's client cursor, its `description` built when read."""

    __slots__ = ()

    @property
    def description(self) -> LazyDescription | None:  # type: ignore[override]
        res = self.pgresult
        if res and (res.nfields or res.status in _ROWS):
            return LazyDescription(_Described(res, self._encoding, self.adapters), res.nfields)
        return None


def _on_connect(dbapi_connection, _record) -> None:
    if isinstance(dbapi_connection, psycopg.Connection) and dbapi_connection.cursor_factory is psycopg.Cursor:
        dbapi_connection.cursor_factory = Cursor


_installed = False


def install() -> None:
    """Every new pooled connection of the process makes these cursors (once)."""
    global _installed
    if not _installed:
        event.listen(Pool, "connect", _on_connect)
        _installed = True
