"""RQ jobs: one `job` decorator carries the queue and limits (Redash's pattern); jobs take ids,
reload state and are safe to run twice. Outbox rows name jobs by dotted path."""

from __future__ import annotations

import datetime as dt
import functools
import importlib
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, has_app_context
from redis import Redis
from rq import Queue

QUEUES = ("high", "default", "low")
_registry: dict[str, Callable[..., Any]] = {}
_app: Flask | None = None


def _worker_app() -> Flask:
    global _app
    if _app is None:
        from hotline import create_app

        _app = create_app()
    return _app


def job(queue: str = "default", timeout: int = 60, result_ttl: int = 600):
    """Declare an RQ job: its queue and limits live where it is defined."""

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


def enqueue_payload(redis: Redis, payload: dict[str, Any]) -> None:
    """Enqueue a job described by an outbox row (now, or at `at` through RQ's scheduler)."""
    fn = resolve(payload["func"])
    queue = Queue(fn.queue, connection=redis)  # type: ignore[attr-defined]
    options = {
        "job_timeout": fn.timeout,  # type: ignore[attr-defined]
        "result_ttl": fn.result_ttl,  # type: ignore[attr-defined]
        "job_id": payload.get("job_id"),
    }
    at = payload.get("at")
    if at:
        when = dt.datetime.fromisoformat(at)
        if when > dt.datetime.now(dt.UTC):
            queue.enqueue_at(when, fn, *payload["args"], **options)
            return
    queue.enqueue(fn, *payload["args"], **options)
