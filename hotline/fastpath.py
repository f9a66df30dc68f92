"""The fast paths: the only code that touches the database driver's connection (psycopg 3) directly.

Everything else goes through SQLAlchemy (the ORM for the actions, Core for reports). A handful of statements run
so often that SQLAlchemy's execution machinery (compiling or looking up the statement, wrapping parameters and
rows, events) costs more than the statement itself; they run here instead, with psycopg's `%(name)s` parameters,
on the same connections and transactions as the rest of the request. The SQL stays with its caller (the intake's
statement in hotline.actions.intake, the relay's claim in hotline.outbox, the status read in
hotline.api.public_status); this module owns how it reaches the driver.

Why each one is here (bench/intake.py and bench/public.py print the figures with a raw-SQL baseline from the same
run; the README's benchmark table has the ranges over runs, and issue 16's note the before/after of this layout):
- `execute_one(sql, params)`: the intake, every row of a new ticket in one statement inside the request's
  transaction. Measured at 2.0-2.7 ms of server CPU per ticket for the whole request (README), 443-603 tickets/s
  with p99 24-33 ms on two cores; the target is 400/s with p99 < 50 ms, and SQLAlchemy's per-statement overhead
  (a statement per table) is what the earlier, slower runs spent the difference on.
  The statement has more parameters than psycopg's cache of converted queries takes (50), so psycopg would parse
  its `%(name)s` text on every call (7.5% of the API process's CPU per intake in py-spy, bench/intake.py --url
  --py-spy): it goes to the server with native `$n` parameters instead, converted once (`_native`).
- `fetch_all(sql, params)`: the outbox relay's claim, which runs up to 40 times a second per process (after
  every commit that wrote outbox rows).
- `autocommit_fetch_one(sql, params)`: the public status lookup (number + retrieval code), the busiest public
  endpoint: one autocommit round trip on a pooled connection, no BEGIN/ROLLBACK and no session:
  1,030-1,302 lookups/s with p99 11-14 ms (README), against a target of 1,000/s.
- `autocommit_engine()`: the app's engine (same pool) in autocommit, for a lone statement that is its own
  transaction (the Twilio incoming-call upsert: one round trip; bench/webhooks.py, 926 calls/s against 473/s
  before).

Add a fast path only with a benchmark that shows SQLAlchemy is the cost, and write the figures here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from psycopg import RawCursor
from psycopg.rows import namedtuple_row
from sqlalchemy.engine import Engine

from hotline.extensions import db

_autocommit_engines: dict[int, Engine] = {}


def _cursor(**kwargs):
    """A psycopg cursor on the request session's connection, inside its transaction (the session commits or rolls
    it back)."""
    return db.session.connection().connection.driver_connection.cursor(**kwargs)


_NAMED = re.compile(r"%\((\w+)\)s|%%")


@functools.lru_cache(maxsize=32)
def _native(sql: str) -> tuple[str, tuple[str, ...]]:
    """`sql` with its `%(name)s` parameters numbered as PostgreSQL's own `$n` (`%%` back to `%`), and the names
    in `$n` order."""
    names: dict[str, int] = {}

    def number(match: re.Match) -> str:
        if match.group(1) is None:
            return "%"
        return f"${names.setdefault(match.group(1), len(names) + 1)}"

    return _NAMED.sub(number, sql), tuple(names)


def execute_one(sql: str, params: dict[str, Any]) -> tuple:
    """Run `sql` (`%(name)s` parameters) in the session's transaction; its first row (a tuple). The driver gets
    it with native parameters, converted once per statement text (the module's docstring says why)."""
    text, names = _native(sql)
    conn = db.session.connection().connection.driver_connection
    assert conn is not None
    with RawCursor(conn) as cur:
        row = cur.execute(text, [params[name] for name in names]).fetchone()  # type: ignore[arg-type]
    assert row is not None
    return row


def fetch_all(sql: str, params: dict[str, Any]) -> list:
    """Run `sql` in the session's transaction; every row, as named tuples."""
    with _cursor(row_factory=namedtuple_row) as cur:
        return cur.execute(sql, params).fetchall()


@contextmanager
def _autocommit_cursor(**kwargs) -> Iterator:
    pooled = db.engine.raw_connection()
    try:
        conn = pooled.driver_connection
        assert conn is not None
        conn.autocommit = True
        with conn.cursor(**kwargs) as cur:
            yield cur
        conn.autocommit = False
    except BaseException:
        pooled.invalidate()  # a broken connection (or one in an unknown state) does not go back to the pool
        raise
    finally:
        pooled.close()  # back to the pool


def autocommit_fetch_one(sql: str, params: tuple | dict) -> Any:
    """A lone read on a pooled connection in autocommit (one round trip); its first row as a named tuple, or None."""
    with _autocommit_cursor(row_factory=namedtuple_row) as cur:
        return cur.execute(sql, params).fetchone()


def autocommit_engine() -> Engine:
    """The app's engine (same pool) in autocommit: a lone statement outside the request's session, one round trip
    instead of BEGIN, the statement and COMMIT."""
    engine = db.engine
    view = _autocommit_engines.get(id(engine))
    if view is None:
        view = _autocommit_engines[id(engine)] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return view
