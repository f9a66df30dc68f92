"""The worker process never dies on a Redis timeout or outage (issue 14): it owns a connection meant for blocking
reads, and RQ's loop is started again whenever it ends. Real worker processes (`flask --app wsgi worker`)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue

from tests.live_server import ROOT, free_port

pytestmark = pytest.mark.slow  # starts workers as processes


@contextlib.contextmanager
def worker_process(database_uri: str, redis_url: str, instance: Path) -> Iterator[subprocess.Popen]:
    env = {
        **os.environ,
        "DATABASE_URL": database_uri,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "test-secret",
        "HOTLINE_TELEPHONY": "console",
        "HOTLINE_INSTANCE_DIR": str(instance),
        "PYTHONUNBUFFERED": "1",
    }
    log = open(instance / "worker.log", "wb")  # noqa: SIM115 - closed with the process
    flask = str(Path(sys.executable).with_name("flask"))
    proc = subprocess.Popen(
        [flask, "--app", "wsgi", "worker"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its scheduler process too is ended with the group
    )
    log.close()
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def _wait_worker_registered(redis: Redis, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the worker exited"
        with contextlib.suppress(OSError, Exception):
            if redis.scard("rq:workers"):
                return
        time.sleep(0.2)
    raise AssertionError("no worker registered")


def _enqueue_sms(redis: Redis, body: str) -> None:
    from hotline.tasks import resolve

    Queue("default", connection=redis).enqueue(resolve("hotline.tasks.notify.send_sms"), "+8613812345678", body)


def _wait_sent(instance: Path, body: str, proc: subprocess.Popen, timeout: float) -> None:
    sent = instance / "console-outbox.jsonl"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sent.exists() and any(json.loads(line)["body"] == body for line in sent.read_text().splitlines()):
            return
        time.sleep(0.2)
    log = (instance / "worker.log").read_text(errors="replace")[-3000:]
    raise AssertionError(f"job not run (worker {'alive' if proc.poll() is None else 'exited'}); log:\n{log}")


def test_worker_idle_longer_than_any_socket_timeout_still_runs_a_job(app, redis_url, tmp_path):
    redis = Redis.from_url(redis_url)
    with worker_process(app.config["SQLALCHEMY_DATABASE_URI"], redis_url, tmp_path) as proc:
        _wait_worker_registered(redis, proc)
        time.sleep(8)  # the shared client's sockets time out after 3 s; the ticker used them all along
        assert proc.poll() is None, (tmp_path / "worker.log").read_text()
        _enqueue_sms(redis, "after an idle spell")
        _wait_sent(tmp_path, "after an idle spell", proc, timeout=20)
        assert b"quitting" not in (tmp_path / "worker.log").read_bytes()


class PrivateRedis:
    """A redis-server of this test's own, to stop and start again (the machine's shared one is never stopped)."""

    def __init__(self, port: int, workdir: Path) -> None:
        self.port, self.workdir, self.proc = port, workdir, None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = Redis(port=self.port)
        for _ in range(200):
            with contextlib.suppress(Exception):
                if client.ping():
                    return
            time.sleep(0.05)
        raise AssertionError("private redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.mark.skipif(not Path("/usr/bin/redis-server").exists(), reason="needs redis-server for a private Redis")
def test_worker_survives_redis_stopped_for_ten_seconds(app, tmp_path):
    """Down when the worker starts (a machine booting, Redis restarting), then down again while it waits for jobs:
    each time the worker waits for Redis and goes on."""
    server = PrivateRedis(free_port(), tmp_path)
    url = f"redis://127.0.0.1:{server.port}/0"
    redis = Redis.from_url(url, socket_timeout=5)
    try:
        with worker_process(app.config["SQLALCHEMY_DATABASE_URI"], url, tmp_path) as proc:
            time.sleep(10)
            assert proc.poll() is None, "the worker exited: Redis was down when it started"
            server.start()
            _wait_worker_registered(redis, proc, timeout=45)
            _enqueue_sms(redis, "before the outage")
            _wait_sent(tmp_path, "before the outage", proc, timeout=20)
            server.stop()
            time.sleep(10)
            assert proc.poll() is None, "the worker exited while Redis was down"
            server.start()
            _enqueue_sms(redis, "after the outage")
            _wait_sent(tmp_path, "after the outage", proc, timeout=45)
            assert proc.poll() is None
    finally:
        server.stop()
