"""The transactional outbox (FixMyStreet's send queue): written in the action's transaction,
delivered after commit by a relay that retries with back-off. Redis being down delays delivery,
never the action.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from typing import Any

from flask import Flask, current_app
from sqlalchemy import insert, select, update

from hotline.extensions import db, get_redis
from hotline.models import OutboxMessage
from hotline.models.base import utcnow

log = logging.getLogger(__name__)
MAX_BACKOFF_SECONDS = 60


def socket_row(event: dict, rooms: list[str]) -> dict:
    return {"kind": "socket", "payload": {"event": event, "rooms": sorted(set(rooms))}}


def job_row(func: str, args: list[Any], at: dt.datetime | None = None, job_id: str | None = None) -> dict:
    """A job for the RQ workers. `func` is a dotted name registered with hotline.tasks.job."""
    payload: dict[str, Any] = {"func": func, "args": args}
    if at is not None:
        payload["at"] = at.astimezone(dt.UTC).isoformat()
    if job_id:
        payload["job_id"] = job_id
    return {"kind": "job", "payload": payload}


def sms_row(to: str, body: str, ticket_id: int | None = None) -> dict:
    return job_row("hotline.tasks.notify.send_sms", [to, body, ticket_id])


def note_kinds(kinds) -> None:
    """Remember which relays this transaction gives work to (kick() wakes only those)."""
    db.session.info.setdefault("outbox_kinds", set()).update(kinds)


def add(row: dict) -> None:
    """One outbox row (socket_row, job_row, sms_row), written with the transaction's other changes."""
    db.session.add(OutboxMessage(**row))
    note_kinds((row["kind"],))


def add_rows(rows: list[dict]) -> None:
    """Bulk-insert outbox rows in the current transaction (one statement for many rows)."""
    if rows:
        now = utcnow()
        db.session.execute(insert(OutboxMessage),
                           [{**r, "created_at": now, "next_attempt_at": now, "attempts": 0} for r in rows])
        note_kinds(r["kind"] for r in rows)


def add_socket_event(event: dict, rooms: list[str]) -> None:
    add(socket_row(event, rooms))


def add_job(func: str, args: list[Any], at: dt.datetime | None = None, job_id: str | None = None) -> None:
    add(job_row(func, args, at, job_id))


def add_sms(to: str, body: str, ticket_id: int | None = None) -> None:
    add(sms_row(to, body, ticket_id))


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS))


def _deliver(message: OutboxMessage, redis) -> None:
    from hotline import tasks

    if message.kind == "socket":
        from hotline.events import emit_now

        emit_now(message.payload["event"], message.payload["rooms"])
    elif message.kind == "job":
        # The row id names the job: a row delivered twice (crash before commit) is one job.
        tasks.enqueue_payload(redis, {"job_id": f"outbox-{message.id}", **message.payload})
    else:
        raise ValueError(f"unknown outbox kind {message.kind!r}")


def relay_once(limit: int = 200, kinds: tuple[str, ...] | None = None,
               exclude: tuple[str, ...] | None = None) -> int:
    """Deliver what is due (of `kinds`, or all but `exclude`, or all); returns how many were delivered.
    Safe to run in several processes and threads at once (rows are claimed with SKIP LOCKED)."""
    now = utcnow()
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.delivered_at.is_(None), OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if kinds:
        query = query.where(OutboxMessage.kind.in_(kinds))
    if exclude:
        query = query.where(OutboxMessage.kind.not_in(exclude))
    delivered: list[int] = []
    try:
        messages = db.session.scalars(query).all()
        if messages:
            redis = get_redis()
            try:
                # python-socketio's Redis manager logs and drops a publish when Redis is down, so
                # ask Redis first: a failure here keeps the rows for the next attempt.
                redis.ping()
                for message in messages:
                    _deliver(message, redis)
                    delivered.append(message.id)
            except Exception as exc:  # noqa: BLE001 - any failure is recorded on the row and retried
                failed = messages[len(delivered)]
                failed.attempts += 1
                failed.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                failed.next_attempt_at = utcnow() + _backoff(failed.attempts)
                log.warning("outbox %s not delivered (attempt %s): %s", failed.id, failed.attempts,
                            failed.last_error)
                # the transport is likely down: leave the rest for the next pass
            if delivered:
                db.session.execute(
                    update(OutboxMessage).where(OutboxMessage.id.in_(delivered)).values(delivered_at=utcnow())
                )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return len(delivered)


def relay_sockets_once(limit: int = 500) -> int:
    """Deliver due socket events in one batch: one statement claims them (marked delivered, rows locked until
    commit), one pipelined publish, one commit. If the publish fails the claim is rolled back and the rows stay
    for the next attempt (the first one records the error and backs off)."""
    from hotline.events import emit_batch

    now = utcnow()
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.kind == "socket", OutboxMessage.delivered_at.is_(None),
               OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claim = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due.scalar_subquery()))
        .values(delivered_at=now)
        .returning(OutboxMessage.id, OutboxMessage.payload)
        .execution_options(synchronize_session=False)
    )
    try:
        claimed = sorted(db.session.execute(claim).all())
        if not claimed:
            db.session.commit()
            return 0
        try:
            emit_batch([(payload["event"], payload["rooms"]) for _, payload in claimed])
        except Exception as exc:  # noqa: BLE001 - recorded on the row and retried
            db.session.rollback()
            _socket_backoff([row_id for row_id, _ in claimed], f"{type(exc).__name__}: {exc}"[:2000])
            return 0
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return len(claimed)


def _socket_backoff(ids: list[int], error: str) -> None:
    """After a failed publish: the first row counts the attempt and keeps the error; all wait the back-off."""
    first = db.session.get(OutboxMessage, ids[0])
    if first is None:
        return
    first.attempts += 1
    first.last_error = error
    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id.in_(ids), OutboxMessage.delivered_at.is_(None))
        .values(next_attempt_at=utcnow() + _backoff(first.attempts))
        .execution_options(synchronize_session=False)
    )
    log.warning("socket events not delivered (attempt %s): %s", first.attempts, error)
    db.session.commit()


def relay_all(limit: int = 200, rounds: int = 1000, kinds: tuple[str, ...] | None = None,
              exclude: tuple[str, ...] | None = None) -> int:
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

    Woken by a commit, it first waits `gather` seconds so that the rows of the commits just behind are
    delivered in the same pass: under load one pass carries many rows (one claim, one publish, one commit)
    instead of one pass per row; when quiet it costs that much latency and nothing else."""

    def __init__(self, kinds: tuple[str, ...] | None = None, exclude: tuple[str, ...] | None = None,
                 gather: float = 0.0) -> None:
        self.kinds, self.exclude, self.gather = kinds, exclude, gather
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def kick(self, app: Flask) -> None:
        if self.thread is None or not self.thread.is_alive():
            with self.lock:
                if self.thread is None or not self.thread.is_alive():
                    self.thread = threading.Thread(
                        target=self._run, args=(app,), name=f"outbox-relay-{'-'.join(self.kinds or ('rest',))}",
                        daemon=True,
                    )
                    self.thread.start()
        self.wake.set()

    def _run(self, app: Flask) -> None:
        while True:
            if self.wake.wait(timeout=2.0) and self.gather:
                time.sleep(self.gather)
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
# Gathering: 5 ms on what people watch, 50 ms on jobs (an SMS or a deadline job does not mind).
_socket_relay = _Relay(kinds=("socket",), gather=0.005)
_relay = _Relay(exclude=("socket",), gather=0.05)


def kick() -> None:
    """Ask the background relays to deliver now (called after each commit that wrote rows)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    kinds = db.session.info.pop("outbox_kinds", None)
    if kinds is None:
        kinds = {"socket", "job"}  # not told: wake both
    if app.config.get("OUTBOX_RELAY_THREAD") and app.config.get("REDIS_URL"):
        if "socket" in kinds:
            _socket_relay.kick(app)
        if kinds - {"socket"}:
            _relay.kick(app)
