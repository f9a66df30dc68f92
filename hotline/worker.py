"""The worker process: RQ with its scheduler on every queue, a ticker for the periodic jobs
(reconciled at start), and the outbox relay as a safety net for the web processes' relay."""

from __future__ import annotations

import logging
import os
import threading

from flask import Flask
from rq import Queue, SimpleWorker

from hotline import health, metrics
from hotline.extensions import db, get_redis, redis_url, socketio
from hotline.tasks import QUEUES

log = logging.getLogger(__name__)


class HotlineWorker(SimpleWorker):
    """Runs jobs in the worker process (no fork per job): deadline jobs are short and many, and
    each job is idempotent, so a crash mid-job is repaired by the next run or the sweep."""


def _ticker(app: Flask, stop: threading.Event, every: float = 1.0) -> None:
    from hotline.outbox import relay_all
    from hotline.tasks.schedule import enqueue_due

    first = True
    while not stop.is_set():
        with app.app_context():
            try:
                health.beat(get_redis())
                enqueue_due(get_redis(), reconcile=first)
                first = False
            except Exception:  # noqa: BLE001 - Redis may be down; try again next tick
                log.warning("periodic jobs not enqueued (Redis down?)", exc_info=True)
            try:
                relay_all()
            except Exception:  # noqa: BLE001
                log.exception("outbox relay failed")
            finally:
                db.session.remove()
        stop.wait(every)


def run_worker(app: Flask, burst: bool = False) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    metrics.reset_own_dir(keep_pid=os.getpid())  # counters of this worker's earlier runs
    with app.app_context():
        # The worker only emits; make sure this process's Socket.IO publishes through Redis.
        from hotline import socket_queue

        socketio.init_app(
            app,
            async_mode="threading",
            **socket_queue(redis_url(), write_only=True, channel=app.config.get("SOCKETIO_CHANNEL")),
        )
        redis = get_redis()
        stop = threading.Event()
        ticker = threading.Thread(target=_ticker, args=(app, stop), name="ticker", daemon=True)
        ticker.start()
        try:
            queues = [Queue(name, connection=redis) for name in QUEUES]
            HotlineWorker(queues, connection=redis).work(with_scheduler=True, burst=burst)
        finally:
            stop.set()
