"""The worker process: RQ with its scheduler on every queue, a ticker for the periodic jobs
(reconciled at start), and the outbox relay as a safety net for the web processes' relay.

RQ's own loop quits on a Redis timeout and on any unexpected error; a worker that quits stops every deadline,
callback and SMS until someone restarts it. So the loop is started again, with back-off, until the process is
asked to stop: a Redis outage costs the jobs' delay, never the worker."""

from __future__ import annotations

import logging
import os
import threading
import time
from contextlib import suppress

from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker

from hotline import health, metrics
from hotline.extensions import blocking_redis, db, get_redis, redis_url, socketio
from hotline.tasks import QUEUES

log = logging.getLogger(__name__)
RECONNECT_MAX_SECONDS = 30.0
# A loop that ran this long before it ended was healthy: the next restart starts over with a short wait.
HEALTHY_RUN_SECONDS = 60.0


class HotlineWorker(SimpleWorker):
    """Runs jobs in the worker process (no fork per job): deadline jobs are short and many, and
    each job is idempotent, so a crash mid-job is repaired by the next run or the sweep.

    Logs job ids, never job descriptions (those carry the arguments: phone numbers, SMS bodies)."""

    def __init__(self, *args, stopping: threading.Event, **kwargs) -> None:
        kwargs.setdefault("log_job_description", False)
        super().__init__(*args, **kwargs)
        self.stopping = stopping

    def request_stop(self, signum, frame) -> None:
        self.stopping.set()  # SIGINT/SIGTERM: this loop ends for good, not to be started again
        super().request_stop(signum, frame)

    def teardown(self) -> None:
        """RQ's teardown talks to Redis; when Redis is what failed, still stop the pub/sub thread and the
        scheduler process, so that a restarted loop does not leave them behind."""
        try:
            super().teardown()
        except (RedisError, OSError):
            log.warning("worker %s: teardown without Redis", self.name)
            if self.pubsub_thread is not None:
                self.pubsub_thread.stop()
                self.pubsub_thread.join(timeout=1)
                with suppress(Exception):
                    self.pubsub.close()


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


def work_until_stopped(connection: Redis, stopping: threading.Event, burst: bool = False) -> None:
    """RQ's work loop on the project's queues, started again whenever it ends without being asked to stop."""
    delay = 1.0
    while True:
        started = time.monotonic()
        try:
            # Built anew each time (a fresh name to register); its constructor already talks to Redis.
            worker = HotlineWorker(
                [Queue(name, connection=connection) for name in QUEUES], connection=connection, stopping=stopping
            )
            worker.work(with_scheduler=True, burst=burst)
        except (RedisError, OSError) as exc:  # starting a worker needs Redis: it may still be down
            log.warning("worker could not start: %s", exc)
        if burst or stopping.is_set():
            return
        if time.monotonic() - started > HEALTHY_RUN_SECONDS:
            delay = 1.0
        log.warning("worker loop ended (Redis timeout or outage?); starting again in %.0f s", delay)
        if stopping.wait(delay):
            return
        delay = min(delay * 2, RECONNECT_MAX_SECONDS)


def run_worker(app: Flask, burst: bool = False) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # counters of this worker's earlier runs
    metrics.reset_own_dir(app.extensions["hotline.settings"].PROMETHEUS_MULTIPROC_DIR, keep_pid=os.getpid())
    with app.app_context():
        # The worker only emits; make sure this process's Socket.IO publishes through Redis.
        from hotline import socket_queue

        socketio.init_app(
            app,
            async_mode="threading",
            **socket_queue(redis_url(), app.config["SOCKETIO_CHANNEL"], write_only=True),
        )
        stop = threading.Event()
        ticker = threading.Thread(target=_ticker, args=(app, stop), name="ticker", daemon=True)
        ticker.start()
        try:
            # Its own connection for the blocking dequeue; the ticker and the jobs use the shared client.
            work_until_stopped(blocking_redis(), stop, burst=burst)
        finally:
            stop.set()
