"""The transactional outbox (FixMyStreet's send queue): written in the action's transaction,
delivered after commit by a relay that retries with back-off. Redis being down delays delivery,
never the action.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from sqlalchemy import delete, insert, select, update

from hotline import fastpath
from hotline.extensions import db, get_redis
from hotline.models import OutboxMessage
from hotline.models.base import utcnow

# The Socket.IO namespace of the staff consoles (agents_ui), where socket rows are published.
SOCKET_NAMESPACE = "/agents"

log = logging.getLogger(__name__)
MAX_BACKOFF_SECONDS = 60


def socket_row(event: dict, rooms: list[str]) -> dict:
    return {"kind": "socket", "payload": {"event": event, "rooms": sorted(set(rooms))}}


def job_row(func: str, args: list[Any], at: dt.datetime | None = None, job_id: str | None = None) -> dict:
    """A job for the RQ workers. `func` is a dotted name registered with hotline.tasks.job; a private job's
    arguments (phones, retrieval codes) are kept sealed (hotline.tasks explains)."""
    from hotline import tasks
    from hotline.sealing import seal

    payload: dict[str, Any] = {"func": func}
    if tasks.is_private(func):
        payload["sealed"] = seal(args)
    else:
        payload["args"] = args
    if at is not None:
        payload["at"] = at.astimezone(dt.UTC).isoformat()
    if job_id:
        payload["job_id"] = job_id
    return {"kind": "job", "payload": payload}


def job_args(payload: dict) -> list[Any]:
    """A job row's arguments, unsealed if need be (for tests and for staff tools that look into the outbox)."""
    from hotline.sealing import unseal

    return unseal(payload["sealed"]) if "sealed" in payload else payload["args"]


def sms_row(to: str, body: str, ticket_id: int | None = None) -> dict:
    return job_row("hotline.tasks.notify.send_sms", [to, body, ticket_id])


def note_kinds(kinds) -> None:
    """Remember which relays this transaction gives work to (kick() wakes only those)."""
    db.session.info.setdefault("outbox_kinds", set()).update(kinds)


# ---- the past (外部影响 of a replayed history) -------------------------------------------------------------
# The demo history (hotline.demo.history) replays a month through the real actions. What they would have sent
# then (socket events, SMS, calls, jobs that ran long ago) is not sent now, so it is not written: only the jobs
# still ahead of the real time (`until`) whose function is one of `future_jobs` are kept for the relay.


@dataclass(frozen=True)
class _Past:
    until: str  # the real now, as the job rows' "at" (ISO 8601, UTC: text order is time order)
    future_jobs: frozenset[str]


_past: ContextVar[_Past | None] = ContextVar("outbox_past", default=None)


@contextmanager
def replaying_past(until: dt.datetime, future_jobs: tuple[str, ...]) -> Iterator[None]:
    """While the block runs (one replaying process), rows of the past are dropped instead of written."""
    token = _past.set(_Past(until.astimezone(dt.UTC).isoformat(), frozenset(future_jobs)))
    try:
        yield
    finally:
        _past.reset(token)


def _kept(row: dict) -> bool:
    past = _past.get()
    if past is None:
        return True
    payload = row["payload"]
    return row["kind"] == "job" and payload["func"] in past.future_jobs and payload.get("at", "") > past.until


def writes(kind: str) -> bool:
    """Whether rows of this kind are written now (False for socket events while the past is replayed: what
    only builds such a row may be skipped)."""
    return _past.get() is None or kind == "job"


def add(row: dict) -> None:
    """One outbox row (socket_row, job_row, sms_row), written with the transaction's other changes."""
    if not _kept(row):
        return
    db.session.add(OutboxMessage(**row))
    note_kinds((row["kind"],))


def add_rows(rows: list[dict]) -> None:
    """Bulk-insert outbox rows in the current transaction (one statement for many rows)."""
    if _past.get() is not None:
        rows = [r for r in rows if _kept(r)]
    if rows:
        now = utcnow()
        db.session.execute(
            insert(OutboxMessage), [{**r, "created_at": now, "next_attempt_at": now, "attempts": 0} for r in rows]
        )
        note_kinds(r["kind"] for r in rows)


def add_socket_event(event: dict, rooms: list[str]) -> None:
    add(socket_row(event, rooms))


def add_job(func: str, args: list[Any], at: dt.datetime | None = None, job_id: str | None = None) -> None:
    add(job_row(func, args, at, job_id))


def add_sms(to: str, body: str, ticket_id: int | None = None) -> None:
    add(sms_row(to, body, ticket_id))


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS))


def _send_sockets(rows: list) -> int:
    """Claimed socket rows to the Socket.IO message queue in one pipelined publish; how many went out. If the
    publish fails they stay for a later pass: the first records the error, all back off."""
    try:
        emit_batch([(row.payload["event"], row.payload["rooms"]) for row in rows])
    except Exception as exc:  # noqa: BLE001 - recorded on the row and retried
        _release(rows, exc)
        return 0
    return len(rows)


def _send_jobs(rows: list) -> int:
    """Claimed job rows to RQ in one Redis pipeline; how many went out. A row that cannot be enqueued (a bad
    payload) keeps its own error and waits; if the pipeline fails (Redis down) all of them back off."""
    from hotline import tasks

    batch = tasks.JobBatch(get_redis())
    ready = []
    for row in rows:
        try:
            payload = row.payload
            if "args" in payload and tasks.is_private(payload["func"]):
                payload = _seal_row(row.id, payload)
            # The row id names the job: a row delivered twice (crash before commit) is one job.
            batch.add({"job_id": f"outbox-{row.id}", "outbox_id": row.id, **payload})
        except Exception as exc:  # noqa: BLE001 - recorded on the row and retried
            _release([row], exc)
        else:
            ready.append(row)
    if ready:
        try:
            batch.send()
        except Exception as exc:  # noqa: BLE001 - recorded on the row and retried
            _release(ready, exc)
            return 0
    return len(ready)


_OUTBOX = OutboxMessage.__table__


def _seal_row(row_id: int, payload: dict) -> dict:
    """A private job's row written with its arguments in clear (before sealing existed, or by hand): sealed in
    place, in the claiming transaction, before RQ sees it."""
    from hotline.sealing import seal

    sealed = {k: v for k, v in payload.items() if k != "args"} | {"sealed": seal(payload["args"])}
    db.session.execute(update(_OUTBOX).where(_OUTBOX.c.id == row_id).values(payload=sealed))
    return sealed


def _claim(limit: int, kinds: tuple[str, ...] | None = None, exclude: tuple[str, ...] | None = None) -> list:
    """Claim due rows in one statement: marked delivered and locked until this transaction ends, so that a relay
    in another process or thread skips them; (id, kind, payload, attempts) in id order."""
    now = utcnow()
    # A pass runs up to 40 times a second per process: the driver's cursor, no SQLAlchemy.
    params = {"now": now, "limit": limit, "kinds": list(kinds or ()), "exclude": list(exclude or ())}
    return sorted(fastpath.fetch_all(_claim_sql(kinds, exclude), params))


@functools.cache
def _claim_sql(kinds: tuple[str, ...] | None, exclude: tuple[str, ...] | None) -> str:
    """The PostgreSQL text of _claim's statement (psycopg parameters)."""
    where = "delivered_at IS NULL AND next_attempt_at <= %(now)s"
    if kinds:
        where += " AND kind = ANY(%(kinds)s)"
    if exclude:
        where += " AND kind <> ALL(%(exclude)s)"
    return (
        "UPDATE outbox SET delivered_at = %(now)s WHERE id IN ("
        f"SELECT id FROM outbox WHERE {where} ORDER BY id LIMIT %(limit)s FOR UPDATE SKIP LOCKED"
        ") RETURNING id, kind, payload, attempts"
    )


def _release(rows: list, exc: Exception) -> None:
    """After a failed delivery, in the claiming transaction: the rows are pending again and wait a back-off; the
    first (the one that failed, or the first of a failed batch) counts an attempt and keeps the error."""
    failed = rows[0]
    attempts = failed.attempts + 1
    retry_at = utcnow() + _backoff(attempts)
    error = f"{type(exc).__name__}: {exc}"[:2000]
    db.session.execute(
        update(_OUTBOX)
        .where(_OUTBOX.c.id == failed.id)
        .values(delivered_at=None, attempts=attempts, last_error=error, next_attempt_at=retry_at)
    )
    rest = [row.id for row in rows[1:]]
    if rest:
        db.session.execute(
            update(_OUTBOX).where(_OUTBOX.c.id.in_(rest)).values(delivered_at=None, next_attempt_at=retry_at)
        )
    log.warning("outbox %s not delivered (attempt %s): %s", failed.id, attempts, error)


def relay_once(limit: int = 200, kinds: tuple[str, ...] | None = None, exclude: tuple[str, ...] | None = None) -> int:
    """Deliver what is due (of `kinds`, or all but `exclude`, or all); returns how many were delivered.
    Safe to run in several processes and threads at once (rows are claimed with SKIP LOCKED)."""
    try:
        claimed = _claim(limit, kinds, exclude)
        sockets = [row for row in claimed if row.kind == "socket"]
        jobs = [row for row in claimed if row.kind == "job"]
        for row in claimed:
            if row.kind not in ("socket", "job"):
                _release([row], ValueError(f"unknown outbox kind {row.kind!r}"))
        if sockets:
            try:
                # The message queue's manager may log and drop a publish when Redis is down: ask Redis first.
                get_redis().ping()
            except Exception as exc:  # noqa: BLE001 - recorded on the row and retried
                _release(sockets, exc)
                sockets = []
        done = (_send_sockets(sockets) if sockets else 0) + (_send_jobs(jobs) if jobs else 0)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return done


def relay_sockets_once(limit: int = 500) -> int:
    """Deliver due socket events in one batch: one claim, one pipelined publish, one commit. If the publish
    fails the rows stay for the next attempt (the first one records the error; all back off)."""
    try:
        claimed = _claim(limit, kinds=("socket",))
        done = _send_sockets(claimed) if claimed else 0
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return done


def relay_all(
    limit: int = 200, rounds: int = 1000, kinds: tuple[str, ...] | None = None, exclude: tuple[str, ...] | None = None
) -> int:
    """Deliver until nothing due is left (or a delivery fails)."""
    total = 0
    for _ in range(rounds):
        n = relay_once(limit, kinds, exclude)
        total += n
        if n < limit:
            break
    return total


class _Relay:
    """A background thread in the web process that drains the outbox right after commits.

    Passes start at most once per `gather` seconds: a commit after a quiet spell is delivered at once, while
    under load the rows of the commits of the last few milliseconds go out together (one claim, one publish, one
    commit per pass instead of per row)."""

    def __init__(
        self, kinds: tuple[str, ...] | None = None, exclude: tuple[str, ...] | None = None, gather: float = 0.0
    ) -> None:
        self.kinds, self.exclude, self.gather = kinds, exclude, gather
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def kick(self, app: Flask) -> None:
        if self.thread is None or not self.thread.is_alive():
            with self.lock:
                if self.thread is None or not self.thread.is_alive():
                    self.thread = threading.Thread(
                        target=self._run,
                        args=(app,),
                        name=f"outbox-relay-{'-'.join(self.kinds or ('rest',))}",
                        daemon=True,
                    )
                    self.thread.start()
        self.wake.set()

    def _run(self, app: Flask) -> None:
        last = 0.0
        while True:
            if self.wake.wait(timeout=2.0) and self.gather:
                time.sleep(max(0.0, last + self.gather - time.monotonic()))
            last = time.monotonic()
            self.wake.clear()
            with app.app_context():
                try:
                    if self.kinds == ("socket",):
                        while relay_sockets_once(SOCKET_BATCH) == SOCKET_BATCH:
                            pass
                    else:
                        relay_all(kinds=self.kinds, exclude=self.exclude)
                except Exception:  # noqa: BLE001 - the relay must survive a database blip
                    log.exception("outbox relay pass failed")
                finally:
                    db.session.remove()


SOCKET_BATCH = 500
# Socket events have their own relay thread: people wait for them, and they must not queue behind the
# deadline jobs an action schedules (several RQ calls each). Everything else takes the other thread.
# At most 40 socket passes a second (issue 5 allows 100 ms at p99), 10 for jobs (an SMS does not mind).
_socket_relay = _Relay(kinds=("socket",), gather=0.025)
_relay = _Relay(exclude=("socket",), gather=0.1)


def kick() -> None:
    """Ask the background relays to deliver now (called after each commit that wrote rows)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    kinds = db.session.info.pop("outbox_kinds", None)
    if kinds is None:
        kinds = {"socket", "job"}  # not told: wake both
    if _past.get() is not None:
        # A replayed past commits thousands of times a second and keeps only a few jobs for later: a relay
        # woken by each commit would cost more than the replay. Its rows go at the relays' next pass.
        return
    if app.config.get("OUTBOX_RELAY_THREAD") and app.config.get("REDIS_URL"):
        if "socket" in kinds:
            _socket_relay.kick(app)
        if kinds - {"socket"}:
            _relay.kick(app)


PURGE_BATCH = 10_000


def purge_delivered(retention: dt.timedelta, now: dt.datetime | None = None) -> int:
    """Delete rows delivered longer than `retention` ago, in batches (each its own short transaction, the oldest
    ids first: they sit at the start of the primary key); returns how many went. Pending rows are never touched."""
    cutoff = (now or utcnow()) - retention
    total = 0
    while True:
        batch = (
            select(_OUTBOX.c.id)
            .where(_OUTBOX.c.delivered_at.is_not(None), _OUTBOX.c.delivered_at < cutoff)
            .order_by(_OUTBOX.c.id)
            .limit(PURGE_BATCH)
        )
        deleted = db.session.execute(delete(_OUTBOX).where(_OUTBOX.c.id.in_(batch.scalar_subquery()))).rowcount  # type: ignore[attr-defined]  # a DML result (CursorResult)
        db.session.commit()
        total += deleted
        if deleted < PURGE_BATCH:
            return total


# -- publishing socket rows (the relay); hotline.events builds them ------------------------------------------


def emit_now(event: dict, rooms: list[str]) -> None:
    """Publish through the Socket.IO message queue (the relay, for a process without the Redis queue)."""
    from hotline.extensions import socketio

    # One publish for all the rooms: a client in several of them still gets the event once.
    socketio.emit("event", event, namespace=SOCKET_NAMESPACE, to=list(rooms))


def emit_batch(items: list[tuple[dict, list[str]]]) -> None:
    """Publish many (event, rooms) at once (the socket relay); raises if the message queue is unavailable."""
    from hotline.extensions import socketio

    manager = socketio.server.manager if socketio.server else None
    if manager is not None and hasattr(manager, "publish_batch"):
        manager.publish_batch([("event", event, SOCKET_NAMESPACE, list(rooms)) for event, rooms in items])
        return
    for event, rooms in items:  # no Redis queue configured: this process's own clients only
        emit_now(event, rooms)
