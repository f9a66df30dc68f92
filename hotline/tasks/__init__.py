"""RQ jobs: one `job` decorator carries the queue and limits (Redash's pattern); jobs take ids,
reload state and are safe to run twice. Outbox rows name jobs by dotted path.

A job declared `private` (its arguments hold a phone number or a retrieval code: SMS, calls) never carries them
in RQ: its outbox row keeps them sealed (hotline.sealing), the RQ job is `run_sealed(outbox row id)`, and the
worker unseals them when it runs. Private rows due together (the receipts of a busy minute) go as one RQ job,
`run_sealed_batch([row ids])`, up to SEALED_BATCH rows: RQ's own bookkeeping per job (its hash, registries,
result) cost the worker several times what sending one SMS to the provider does."""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
import importlib
import logging
from collections.abc import Callable, Iterator
from typing import Any

from flask import Flask, current_app, has_app_context
from redis import Redis
from rq import Queue, Retry

QUEUES = ("high", "default", "low")
# Private rows due at once that share one RQ job (bench/intake.py --url: the worker's CPU per receipt SMS).
SEALED_BATCH = 50
# The outbox row whose private job runs now: sends are made once per row (hotline.tasks.notify), whether the
# row ran alone or in a batch.
_running_row: contextvars.ContextVar[int | None] = contextvars.ContextVar("running_outbox_row", default=None)
_registry: dict[str, Callable[..., Any]] = {}
_app: Flask | None = None
log = logging.getLogger(__name__)


def _worker_app() -> Flask:
    global _app
    if _app is None:
        from hotline import create_app

        _app = create_app()
    return _app


def job(
    queue: str = "default",
    timeout: int = 60,
    result_ttl: int = 600,
    retry: Retry | None = None,
    private: bool = False,
    many: Callable[[list[tuple[int, list[Any]]]], list[tuple[int, str]]] | None = None,
):
    """Declare an RQ job: its queue, limits and retries live where it is defined. Retries with intervals wait in
    RQ's scheduler (the worker runs it). `private`: the arguments are personal data, sealed on the way (see
    the module's docstring). `many`: a private job's batch form, given [(outbox row id, args)] in an app
    context and answering [(row id, masked error)] for the rows that failed; each row acts once (once_key's
    `outbox-<row id>`) however often the batch runs."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            from hotline.extensions import db

            # A fresh app context per job: a fresh database session, whatever ran before.
            app = current_app._get_current_object() if has_app_context() else _worker_app()
            with app.app_context():
                try:
                    return fn(*args, **kwargs)
                finally:
                    db.session.remove()

        run.queue = queue  # type: ignore[attr-defined]
        run.timeout = timeout  # type: ignore[attr-defined]
        run.result_ttl = result_ttl  # type: ignore[attr-defined]
        run.retry = retry  # type: ignore[attr-defined]
        run.private = private  # type: ignore[attr-defined]
        run.many = many  # type: ignore[attr-defined]
        _registry[f"{fn.__module__}.{fn.__name__}"] = run
        return run

    return decorate


def resolve(name: str) -> Callable[..., Any]:
    if name not in _registry:
        module, _, _attr = name.rpartition(".")
        if not module.startswith("hotline.tasks.") and not module.startswith("integrations."):
            raise ValueError(f"not a job: {name}")
        importlib.import_module(module)
    if name not in _registry:
        raise ValueError(f"not a job: {name}")
    return _registry[name]


def is_private(name: str) -> bool:
    """Whether `name` is a private job (an unknown name is not: the relay refuses it later, on its row)."""
    try:
        return bool(getattr(resolve(name), "private", False))
    except (ValueError, ImportError):
        return False


def once_key() -> str | None:
    """What a provider step is done once per: the outbox row being run (alone or in a batch), else the RQ job;
    None outside a job."""
    from rq import get_current_job

    row = _running_row.get()
    if row is not None:
        return f"outbox-{row}"
    current = get_current_job()
    return current.id if current is not None else None


def _sealed(outbox_id: int, payload: dict | None) -> bool:
    """Whether the row holds a sealed job to run (it may have been purged meanwhile: then logged, not run)."""
    if payload is None or "sealed" not in payload:
        log.error("outbox row %s holds no sealed job (purged?): nothing run", outbox_id)
        return False
    return True


def _run_row(outbox_id: int, payload: dict | None) -> Any:
    """One private row's job, unsealed and run in the caller's app context."""
    from hotline.sealing import unseal

    if not _sealed(outbox_id, payload):
        return None
    assert payload is not None
    fn = resolve(payload["func"])
    token = _running_row.set(outbox_id)
    try:
        return fn.__wrapped__(*unseal(payload["sealed"]))  # type: ignore[attr-defined]
    finally:
        _running_row.reset(token)


def run_sealed(outbox_id: int) -> Any:
    """A private job: its name and arguments read from outbox row `outbox_id` and unsealed, then run (in this
    job's own app context, under the RQ job that names the row, so a job run twice still acts once)."""
    from sqlalchemy import select

    from hotline.extensions import db
    from hotline.models import OutboxMessage

    app = current_app._get_current_object() if has_app_context() else _worker_app()
    with app.app_context():
        try:
            payload = db.session.scalar(select(OutboxMessage.payload).where(OutboxMessage.id == outbox_id))
            db.session.rollback()
            return _run_row(outbox_id, payload)
        finally:
            db.session.remove()


class BatchFailed(Exception):
    """Some rows of a batch of private jobs failed (their errors masked); RQ retries the batch, and the rows
    already done are not done again."""


def run_sealed_batch(outbox_ids: list[int]) -> int:
    """Private jobs of one kind, one per outbox row, in one RQ job: each row is run as run_sealed would run it.
    A row that fails does not stop the others; the batch then fails and RQ retries it (the job's retries are
    the kind's), and each row's step is done once (once_key), so only the failed rows act again. Returns how
    many rows ran without error."""
    from sqlalchemy import select

    from hotline.extensions import db
    from hotline.models import OutboxMessage
    from hotline.sealing import mask_text, unseal

    app = current_app._get_current_object() if has_app_context() else _worker_app()
    failed: list[tuple[int, str]] = []
    with app.app_context():
        try:
            rows = db.session.execute(
                select(OutboxMessage.id, OutboxMessage.payload).where(OutboxMessage.id.in_(outbox_ids))
            ).all()
            db.session.rollback()
            payloads = {row_id: payload for row_id, payload in rows}
            many = _many_of(payloads.values())
            if many is not None:  # the kind runs a whole batch at once (one query, not one per row)
                items = [(row_id, payloads[row_id]) for row_id in outbox_ids if _sealed(row_id, payloads.get(row_id))]
                failed = many([(row_id, unseal(payload["sealed"])) for row_id, payload in items])
            else:
                for row_id in outbox_ids:
                    try:
                        _run_row(row_id, payloads.get(row_id))
                    except Exception as exc:  # noqa: BLE001 - the others still run; the batch fails after them
                        failed.append((row_id, mask_text(f"{type(exc).__name__}: {exc}") or ""))
                        db.session.rollback()
        finally:
            db.session.remove()
    if failed:
        row_id, error = failed[0]
        raise BatchFailed(f"{len(failed)} of {len(outbox_ids)} rows failed; first, row {row_id}: {error}")
    return len(outbox_ids)


def _many_of(payloads: Any) -> Callable[[list[tuple[int, list[Any]]]], list[tuple[int, str]]] | None:
    """The batch form of the rows' one kind (`job(many=...)`), if it has one."""
    names = {payload.get("func") for payload in payloads if payload is not None and "sealed" in payload}
    if len(names) != 1:
        return None
    return getattr(resolve(names.pop()), "many", None)


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class JobBatch:
    """Jobs described by outbox rows ({"func", "args", "at"?, "job_id"?}), sent to RQ in one Redis pipeline:
    due ones to their queue, later ones to RQ's scheduler (`at`)."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self.now: dict[str, list[Any]] = {}  # queue name -> RQ's EnqueueData
        # private job name -> [(outbox row id, job id)] due now, sent in batches of up to SEALED_BATCH
        self.sealed_now: dict[str, list[tuple[int, str | None]]] = {}
        # (the job as declared, what RQ runs, when, RQ's arguments, job id)
        self.later: list[tuple[Callable[..., Any], Callable[..., Any], dt.datetime, list[Any], str | None]] = []

    def add(self, payload: dict[str, Any]) -> None:
        """Check one job and keep it for send(); a bad payload raises here and joins nothing. A sealed payload
        (a private job's) needs its `outbox_id`: RQ gets run_sealed(outbox_id) on the job's queue and limits."""
        fn = resolve(payload["func"])
        target: Callable[..., Any] = fn
        if "sealed" in payload:
            if not isinstance(payload.get("outbox_id"), int):
                raise ValueError("a sealed job needs its outbox row id")
            target, args = run_sealed, [payload["outbox_id"]]
        elif getattr(fn, "private", False):
            raise ValueError(f"{payload['func']} takes personal data: its arguments must come sealed")
        else:
            args = payload["args"]
        if not isinstance(args, list):
            raise ValueError(f"job args must be a list, not {type(args).__name__}")
        job_id = payload.get("job_id")
        at = payload.get("at")
        when = dt.datetime.fromisoformat(at) if at else None
        if when is not None and when > dt.datetime.now(dt.UTC):
            self.later.append((fn, target, when, args, job_id))
        elif target is run_sealed:
            self.sealed_now.setdefault(payload["func"], []).append((payload["outbox_id"], job_id))
        else:
            self.now.setdefault(fn.queue, []).append(
                Queue.prepare_data(  # type: ignore[attr-defined]
                    target,
                    args=args,
                    timeout=fn.timeout,
                    result_ttl=fn.result_ttl,  # type: ignore[attr-defined]
                    job_id=job_id,
                    retry=fn.retry,  # type: ignore[attr-defined]
                )
            )

    def send(self) -> None:
        """Everything added, in one round trip (MULTI/EXEC): all of it is queued or none."""
        for name, rows in self.sealed_now.items():
            fn = resolve(name)
            for chunk in _chunks(rows, SEALED_BATCH):
                if len(chunk) == 1:
                    target, args, job_id, timeout = run_sealed, [chunk[0][0]], chunk[0][1], fn.timeout
                else:
                    ids = [row_id for row_id, _ in chunk]
                    # Named by its rows: a claim delivered twice (a crash before commit) is the same job.
                    job_id = f"outbox-{ids[0]}-{ids[-1]}-{len(ids)}"
                    target, args, timeout = run_sealed_batch, [ids], fn.timeout * len(ids)
                self.now.setdefault(fn.queue, []).append(
                    Queue.prepare_data(  # type: ignore[attr-defined]
                        target,
                        args=args,
                        timeout=timeout,
                        result_ttl=fn.result_ttl,  # type: ignore[attr-defined]
                        job_id=job_id,
                        retry=fn.retry,  # type: ignore[attr-defined]
                    )
                )
        self.sealed_now = {}
        pipe = self.redis.pipeline()
        for name, datas in self.now.items():
            Queue(name, connection=self.redis).enqueue_many(datas, pipeline=pipe)
        for fn, target, when, args, job_id in self.later:
            Queue(fn.queue, connection=self.redis).enqueue_at(  # type: ignore[attr-defined]
                when,
                target,
                *args,
                job_timeout=fn.timeout,
                result_ttl=fn.result_ttl,  # type: ignore[attr-defined]
                job_id=job_id,
                retry=fn.retry,  # type: ignore[attr-defined]
                pipeline=pipe,
            )
        pipe.execute()


def enqueue_payload(redis: Redis, payload: dict[str, Any]) -> None:
    """Enqueue one job described by an outbox row (now, or at `at` through RQ's scheduler)."""
    batch = JobBatch(redis)
    batch.add(payload)
    batch.send()
