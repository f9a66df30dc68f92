"""Bearer-token principals kept in each process, and dropped everywhere as soon as anything about them changes.

Reading a token's user from PostgreSQL on every request (a query of three tables, plus the transaction it opens)
was a third of an intake's CPU in the API process (cProfile, `bench/intake.py`). So a process keeps what it read,
and before each use asks Redis one question: the revocation generation (one GET). Every committed change that can
make a principal stale bumps it, after commit: a token revoked, expired early or deleted; a user deactivated,
renamed, moved to another role or department, or made to change the password; a department's code changed. A
session event notices those changes (ORM and Core statements alike), so no code path can forget to bump. A
process whose generation differs from the one an entry was read under reads the database again: revocation takes
effect at the next request in every process, as with no cache.

The generation is a fresh random value each time (never a counter that could come back after Redis lost its data
and counted up again), and it is read before the database, so an entry is never newer than its generation.

Redis down: no entry is used (every request reads the database, as before) and the process forgets its entries.
An entry is also kept at most MAX_AGE_SECONDS: that bounds the one case a generation cannot cover, a bump lost
because Redis failed between a revocation's commit and its bump."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

GENERATION_KEY = "hotline:auth:generation"
MAX_AGE_SECONDS = 30.0
MAX_ENTRIES = 10_000

# The columns a principal is made of (and `active`, which decides whether there is one).
_WATCHED = {
    "users": ("username", "role", "department_id", "active", "must_change_password"),
    "api_tokens": ("user_id", "kind", "expires_at", "revoked_at", "token_hash"),
    "departments": ("code",),
}


class TokenCache:
    """token hash -> (principal, token expiry, generation read before it, monotonic time read)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: dict[str, tuple[Any, dt.datetime | None, bytes | None, float]] = {}

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()

    def principal(
        self, token_hash: str, now: dt.datetime, load: Callable[[], tuple[Any, dt.datetime | None] | None]
    ) -> Any:
        """The principal for `token_hash`, from this process when nothing changed since it was read, else from
        `load()` (principal, expiry) or None (no such valid token)."""
        try:
            generation = _redis().get(GENERATION_KEY)
        except Exception:  # noqa: BLE001 - Redis down: read the database, trust nothing kept
            self.clear()
            found = load()
            return found[0] if found else None
        hit = self.entries.get(token_hash)
        if (
            hit is not None
            and hit[2] == generation
            and time.monotonic() - hit[3] < MAX_AGE_SECONDS
            and (hit[1] is None or hit[1] > now)
        ):
            return hit[0]
        found = load()
        with self.lock:
            if found is None:
                self.entries.pop(token_hash, None)
                return None
            if len(self.entries) >= MAX_ENTRIES:
                self.entries.clear()
            self.entries[token_hash] = (found[0], found[1], generation, time.monotonic())
        return found[0]


def for_app() -> TokenCache:
    """This app's cache (several apps in one test process each have their own database and Redis)."""
    cache = current_app.extensions.get("hotline.token_cache")
    if cache is None:
        cache = current_app.extensions.setdefault("hotline.token_cache", TokenCache())
    return cache


def _redis():
    from hotline.extensions import get_redis

    return get_redis()


def bump() -> None:
    """A new generation: every process reads its principals from the database again. Called after commit."""
    if not has_app_context() or not current_app.config.get("REDIS_URL"):
        return
    cache = current_app.extensions.get("hotline.token_cache")
    if cache is not None:
        cache.clear()
    try:
        _redis().set(GENERATION_KEY, secrets.token_hex(8))
    except Exception:  # noqa: BLE001 - the commit stands; other processes' entries expire within MAX_AGE_SECONDS
        log.error(
            "token cache: a change to users or tokens was committed but Redis could not be told; other processes "
            "may accept the old principal for up to %.0f s",
            MAX_AGE_SECONDS,
        )


# -- noticing changes: a session flag set by flushes and statements, acted on after commit ------------------


_FLAG = "hotline.auth_changed"


def _table_of(obj: object) -> str | None:
    table = getattr(type(obj), "__tablename__", None)
    return table if table in _WATCHED else None


def _after_flush(session: Session, _flush_context) -> None:
    if session.info.get(_FLAG):
        return
    for obj in session.dirty | session.deleted:
        table = _table_of(obj)
        if table is None:
            continue
        if obj in session.deleted:
            session.info[_FLAG] = True
            return
        state = inspect(obj)
        if any(state.attrs[col].history.has_changes() for col in _WATCHED[table]):
            session.info[_FLAG] = True
            return


def _statement_table(statement) -> str | None:
    table = getattr(statement, "table", None)
    return getattr(table, "name", None)


def _do_orm_execute(state) -> None:
    """Core and ORM-enabled UPDATE / DELETE statements (revocations are written that way) on a watched table."""
    if (state.is_update or state.is_delete) and _statement_table(state.statement) in _WATCHED:
        state.session.info[_FLAG] = True


def _after_commit(session: Session) -> None:
    if session.info.pop(_FLAG, False):
        bump()


def _after_rollback(session: Session) -> None:
    session.info.pop(_FLAG, None)


_installed = False


def install() -> None:
    """Listen on every SQLAlchemy session (once per process)."""
    global _installed
    if _installed:
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "do_orm_execute", _do_orm_execute)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_rollback", _after_rollback)
    _installed = True
