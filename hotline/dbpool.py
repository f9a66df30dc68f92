"""A pooled PostgreSQL connection is checked for life when it leaves the pool, without a round trip when it can be.

SQLAlchemy's pre-ping sends `SELECT 1` at every checkout: one more round trip for every request and every relay
pass (an intake made five; the ping was one of them, `bench/intake.py`). What a restart, a
`pg_terminate_backend` or an idle-timeout on the server does to a pooled connection is visible on its socket
without asking: the server sends its FATAL message and closes, so the idle socket turns readable. A connection
the pool gave back is idle by definition, nothing else is expected on it, so:

- the driver already knows it is closed or broken: dead;
- its socket has something to read (a goodbye, end of file, an asynchronous notice): the real ping decides;
- it sat in the pool longer than IDLE_PING_SECONDS: the real ping too (a peer that vanished without a word, as a
  firewall dropping idle connections does, shows nothing on the socket);
- otherwise it is alive, at the cost of one poll(2).

A dead connection raises DisconnectionError in the pool's checkout event: the pool drops it and tries another
(SQLAlchemy's "pessimistic disconnect handling, custom" recipe). tests/test_database_pool.py cuts every
connection and expects no failed request."""

from __future__ import annotations

import select
import time

from sqlalchemy import event, exc
from sqlalchemy.pool import Pool

IDLE_PING_SECONDS = 10.0
_CHECKED_IN = "hotline.checked_in_at"


def _readable(fd: int) -> bool:
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


def _ping(dbapi_connection) -> bool:
    """The real ping (what SQLAlchemy's pre-ping does for psycopg): one statement outside any transaction."""
    autocommit = dbapi_connection.autocommit
    try:
        if not autocommit:
            dbapi_connection.autocommit = True
        dbapi_connection.execute(";")
        if not autocommit:
            dbapi_connection.autocommit = False
        return True
    except Exception:  # noqa: BLE001 - any failure here means the connection cannot be used
        return False


def alive(dbapi_connection, idle_seconds: float | None) -> bool:
    if getattr(dbapi_connection, "closed", False) or getattr(dbapi_connection, "broken", False):
        return False
    try:
        fd = dbapi_connection.fileno()
    except Exception:  # noqa: BLE001 - no socket any more
        return False
    if idle_seconds is None or idle_seconds > IDLE_PING_SECONDS or _readable(fd):
        return _ping(dbapi_connection)
    return True


def _on_checkout(dbapi_connection, record, _proxy) -> None:
    checked_in = record.info.get(_CHECKED_IN)
    idle = None if checked_in is None else time.monotonic() - checked_in
    if not alive(dbapi_connection, idle):
        raise exc.DisconnectionError("the pooled connection is gone (server restart or connection cut)")


def _on_checkin(_dbapi_connection, record) -> None:
    if record is not None:
        record.info[_CHECKED_IN] = time.monotonic()


def _on_connect(_dbapi_connection, record) -> None:
    record.info[_CHECKED_IN] = time.monotonic()  # a new connection needs no ping at its first checkout


_installed = False


def install() -> None:
    """On every pool of the process (once): replaces `pool_pre_ping`, which the engine options leave off."""
    global _installed
    if _installed:
        return
    event.listen(Pool, "connect", _on_connect)
    event.listen(Pool, "checkout", _on_checkout)
    event.listen(Pool, "checkin", _on_checkin)
    _installed = True
