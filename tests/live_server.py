"""Real web servers as subprocesses (gunicorn, as in production) on the test database and Redis.

Used by the two-instance socket test and the browser tests; every server started here is stopped by its
context manager, whatever the test does."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(url: str, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/login", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server at {url} not ready after {timeout}s")


@contextlib.contextmanager
def web_servers(
    database_uri: str,
    redis_url: str,
    count: int = 1,
    ports: list[int] | None = None,
    tmp_dir: str | None = None,
    threads: int = 40,
    channel: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> Iterator[list[str]]:
    """Start `count` gunicorn web instances sharing the database and the Redis message queue; yield their URLs.

    With the threading async mode each open WebSocket holds one of a worker's threads, so `threads` must exceed
    the sockets an instance serves (production runs --threads 200)."""
    procs: list[subprocess.Popen] = []
    urls: list[str] = []
    env = {
        **os.environ,
        "DATABASE_URL": database_uri,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "test-secret",
        "HOTLINE_TELEPHONY": "console",
        "PYTHONUNBUFFERED": "1",
        # Pub/sub channels are server-wide in Redis: keep this run's events away from other runs on the machine.
        "HOTLINE_SOCKETIO_CHANNEL": (
            channel or os.environ.get("HOTLINE_SOCKETIO_CHANNEL") or f"hotline-test-{os.getpid()}"
        ),
    }
    if tmp_dir:
        env["HOTLINE_INSTANCE_DIR"] = tmp_dir
    env.update(extra_env or {})
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    try:
        for i in range(count):
            port = ports[i] if ports else free_port()
            # Socket.IO accepts only the deployment's origins: the browser tests come from this address.
            env["HOTLINE_EXTRA_ORIGINS"] = f"http://127.0.0.1:{port} " + (extra_env or {}).get(
                "HOTLINE_EXTRA_ORIGINS", ""
            )
            log = open(Path(tmp_dir or "/tmp") / f"web-{port}.log", "wb")  # noqa: SIM115 - closed with the process
            procs.append(
                subprocess.Popen(
                    [
                        gunicorn,
                        "--no-control-socket",
                        "-w",
                        "1",
                        "--threads",
                        str(threads),
                        "-b",
                        f"127.0.0.1:{port}",
                        "--graceful-timeout",
                        "2",
                        "wsgi:app",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
            log.close()
            urls.append(f"http://127.0.0.1:{port}")
        for url, proc in zip(urls, procs, strict=True):
            _wait_ready(url, proc)
        yield urls
    finally:
        for proc in procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGINT)  # gunicorn: quick shutdown
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
