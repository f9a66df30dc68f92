"""The embedded PostgreSQL that `make run` and `make test` start when DATABASE_URL is unset: it answers, and it
is gone once its last user is, whether that process exits normally or is killed outright (SIGKILL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import psycopg
import pytest

from tests.conftest import libpq

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow

USER = """
import sys
from hotline import embedded_pg
print(embedded_pg.start(sys.argv[1]), flush=True)
sys.stdin.readline()  # then exit normally
"""


def _postmaster(data: Path) -> int | None:
    pid_file = data / "postmaster.pid"
    if not pid_file.exists():
        return None
    pid = int(pid_file.read_text().split()[0])
    return pid if psutil.pid_exists(pid) else None


def _gone(pid: int, within: float = 60.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize("how", ["exit", "sigkill"])
def test_the_server_stops_with_its_last_user(tmp_path, how):
    data = tmp_path / "pg"
    user = subprocess.Popen(
        [sys.executable, "-c", USER, str(data)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        url = user.stdout.readline().strip()
        assert url.startswith("postgresql+psycopg://"), url
        server = _postmaster(data)
        assert server is not None
        with psycopg.connect(libpq(url), autocommit=True) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        if how == "sigkill":
            os.kill(user.pid, signal.SIGKILL)
        else:
            user.stdin.write("\n")
            user.stdin.flush()
        user.wait(timeout=60)
        assert _gone(server), "the embedded PostgreSQL outlived its last user"
    finally:
        if user.poll() is None:
            user.kill()
        leftover = _postmaster(data)
        if leftover:
            os.kill(leftover, signal.SIGKILL)
