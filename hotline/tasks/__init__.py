"""RQ jobs: one `job` decorator carries the queue and limits (Redash's pattern); jobs take ids,
reload state and are safe to run twice. Outbox rows name jobs by dotted path.

A job declared `private` (its arguments hold a phone number or a retrieval code: SMS, calls) never carries them
in RQ: its outbox row keeps them sealed (hotline.sealing), the RQ job is `run_sealed(outbox row id)`, and the
worker unseals them when it runs."""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, has_app_context
from redis import Redis
from rq import Queue, Retry

QUEUES = ("high", "default", "low")
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
):
    """Declare an RQ job: its queue, limits and retries live where it is defined. Retries with intervals wait in
    RQ's scheduler (the worker runs it). `private`: the arguments are personal data, sealed on the way (see
    the module's docstring)."""

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


def run_sealed(outbox_id: int) -> Any:
    """A private job: its name and arguments read from outbox row `outbox_id` and unsealed, then run (in this
    job's own app context, under the RQ job that names the row, so a job run twice still acts once)."""
    from sqlalchemy import select

    from hotline.extensions import db
    from hotline.models import OutboxMessage
    from hotline.sealing import unseal

    app = current_app._get_current_object() if has_app_context() else _worker_app()
    with app.app_context():
        try:
            payload = db.session.scalar(select(OutboxMessage.payload).where(OutboxMessage.id == outbox_id))
            db.session.rollback()
            if payload is None or "sealed" not in payload:
                log.error("outbox row %s holds no sealed job (purged?): nothing run", outbox_id)
                return None
            fn = resolve(payload["func"])
            return fn.__wrapped__(*unseal(payload["sealed"]))  # type: ignore[attr-defined]
        finally:
            db.session.remove()


class JobBatch:
    """Jobs described by outbox rows ({"func", "args", "at"?, "job_id"?}), sent to RQ in one Redis pipeline:
    due ones to their queue, later ones to RQ's scheduler (`at`)."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self.now: dict[str, list[Any]] = {}  # queue name -> RQ's EnqueueData
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
