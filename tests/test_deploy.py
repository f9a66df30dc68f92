"""deploy/: the files agree with the app, and `make deploy-local` runs the production layout behind nginx.

The smoke test starts two `make deploy-local` layouts (nginx, socket group, API group, worker each) on free ports
against this run's PostgreSQL database and Redis: a login through nginx, a ticket created through one layout
pushed to a Socket.IO console connected through the other's nginx, /readyz, /metrics refused to an address not
allowed, and Ctrl-C leaving no process behind."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests
import socketio as socketio_client

from deploy import render
from deploy.static import STATIC_DIRS
from tests.conftest import new_ticket_body
from tests.live_server import free_port

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)


def test_static_dirs_are_the_apps_static_routes(app):
    served = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            owner = app if rule.endpoint == "static" else app.blueprints[rule.endpoint.rsplit(".", 1)[0]]
            served[rule.rule.split("<")[0]] = Path(owner.static_folder).resolve()
    assert served == {prefix: path.resolve() for prefix, path in STATIC_DIRS.items()}


def test_the_env_template_lists_every_setting_the_code_reads():
    committed = (ROOT / "deploy" / "hotline.env.template").read_text()
    assert committed == render.env_template(), "run: python -m deploy.render env > deploy/hotline.env.template"
    for name in ("DATABASE_URL", "SECRET_KEY", "HOTLINE_METRICS_ALLOW", "HOTLINE_CALLBACK_WINDOW", "TWILIO_AUTH_TOKEN"):
        assert re.search(rf"^#?{name}=", committed, re.M), name
    assert "\nHOTLINE_PROXY_HOPS=1\n" in committed


def test_the_nginx_site_balances_kept_alive_connections_over_the_units_api_processes():
    api = ["10.0.0.5:8001", "10.0.0.5:8002", "10.0.0.6:8001", "10.0.0.6:8002"]
    site = render.render_nginx(api_servers=api, socket_servers=["10.0.0.5:8000"])
    upstream = re.search(r"upstream hotline_api \{([^}]+)\}", site).group(1)
    assert "least_conn;" in upstream and all(f"server {s};" in upstream for s in api)
    assert re.search(r"keepalive \d+;", upstream)
    keepalive = int(re.search(r"keepalive_timeout (\d+)s;", upstream).group(1))
    api_location = re.search(r"location / \{([^}]+)\}", site).group(1)
    assert "proxy_http_version 1.1;" in api_location and 'proxy_set_header Connection "";' in api_location
    assert re.search(r"upstream hotline_socket \{\s+ip_hash;\s+server 10.0.0.5:8000;", site)
    # gunicorn keeps an idle connection longer than nginx: nginx never reuses one that gunicorn is closing.
    api_unit = (ROOT / "deploy" / "systemd" / "hotline-api@.service").read_text()
    shape = " ".join(render.api_command(0)[:-2])  # without -b
    assert shape in api_unit and "-b 127.0.0.1:%i" in api_unit
    assert int(re.search(r"--keep-alive (\d+)", api_unit).group(1)) > keepalive
    target = (ROOT / "deploy" / "systemd" / "hotline.target").read_text()
    ports = [render.API_FIRST_PORT + k for k in range(render.API_PROCESSES)]
    assert all(f"hotline-api@{port}.service" in target for port in ports)
    for unit in ("hotline-socket.service", "hotline-api@.service", "hotline-worker@.service"):
        text = (ROOT / "deploy" / "systemd" / unit).read_text()
        assert (
            "EnvironmentFile=/etc/hotline/hotline.env" in text
            and "PROMETHEUS_MULTIPROC_DIR=/run/hotline/metrics/" in text
        )


# -- make deploy-local -----------------------------------------------------------------------------


class Layout:
    """One `make deploy-local` in a session of its own, as a terminal would run it."""

    def __init__(self, port: int, env: dict[str, str], log: Path):
        self.port, self.url, self.log = port, f"http://127.0.0.1:{port}", log
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(
                ["make", "--no-print-directory", "deploy-local"],
                cwd=ROOT,
                env={**env, "PORT": str(port)},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.tail()
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.url + "/readyz", timeout=3).status_code == 200:
                    return
            time.sleep(0.3)
        pytest.fail(f"{self.url}/readyz not 200 after {timeout}s\n{self.tail()}")

    def tree(self) -> set[int]:
        """Every process descended from the make command (they lead process groups of their own)."""
        parents: dict[int, int] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        found, frontier = set(), {self.proc.pid}
        while frontier:
            frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - found
            found |= frontier
        return found

    def ctrl_c(self) -> int:
        os.killpg(self.proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        try:
            return self.proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"make deploy-local did not stop on Ctrl-C\n{self.tail()}")

    def kill(self) -> None:
        for pid in self.tree() | {self.proc.pid}:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _status_from(source: str, port: int, path: str) -> int:
    """The status of a GET sent from the local address `source` (requests cannot choose it)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0)) as conn:
        conn.sendall(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        return int(conn.recv(64).split()[1])


def _login(url: str, username: str) -> requests.Session:
    session = requests.Session()
    page = session.get(url + "/login", timeout=10)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = session.post(
        url + "/login", data={"csrf": csrf, "username": username, "password": f"demo-{username}"}, timeout=10
    )
    assert r.status_code == 200 and r.url.startswith(url + "/agents/"), (r.status_code, r.url)
    return session


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (.ci/run installs Debian's package)")
@pytest.mark.slow  # starts processes
def test_deploy_local_layouts_behind_nginx(app, database_uri, redis_url, tmp_path):
    if not database_uri.startswith("postgresql"):
        pytest.skip("the production layout runs on PostgreSQL (DATABASE_URL)")
    env = {
        **os.environ,
        "DATABASE_URL": database_uri,
        "REDIS_URL": redis_url,
        "HOTLINE_TELEPHONY": "console",
        "SECRET_KEY": "deploy-local-test-secret",  # both layouts accept each other's logins
    }
    a, b = (
        Layout(
            free_port(),
            {**env, "HOTLINE_INSTANCE_DIR": str(tmp_path / name), "STATIC_ROOT": str(tmp_path / name / "static")},
            tmp_path / f"{name}.log",
        )
        for name in ("a", "b")
    )
    listener = None
    try:
        a.wait_ready()
        b.wait_ready()

        # A supervisor logs in through nginx on A; its console's Socket.IO (session cookie, WebSocket through
        # nginx's upgrade) connects to A's socket group.
        supervisor = _login(a.url, "supervisor")
        assert supervisor.get(a.url + "/agents/static/vendor/socket.io.js", timeout=10).status_code == 200
        events: list[dict] = []
        arrived = threading.Event()
        listener = socketio_client.Client(reconnection=False)
        listener.on("event", lambda data: (events.append(data), arrived.set()), namespace="/agents")
        cookie = "; ".join(f"{c.name}={c.value}" for c in supervisor.cookies)
        listener.connect(
            a.url, namespaces=["/agents"], headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=10
        )

        # The operator creates a ticket through B's nginx and API group: B's outbox relay publishes on the shared
        # Redis, A's socket group pushes it to the console.
        token = requests.post(
            b.url + "/api/v1/auth/token", json={"username": "operator", "password": "demo-operator"}, timeout=10
        ).json()["token"]
        created = requests.post(
            b.url + "/api/v1/tickets", json=new_ticket_body(), headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        assert created.status_code == 201, created.text
        number = created.json()["number"]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(e.get("number") == number for e in events):
            arrived.wait(0.5)
            arrived.clear()
        pushed = [e for e in events if e.get("number") == number]
        assert pushed and pushed[0]["type"] == "ticket" and pushed[0]["op"] == "created", events

        ready = requests.get(a.url + "/readyz", timeout=10)
        assert ready.status_code == 200 and ready.json()["checks"]["worker"]["ok"], ready.text

        # /metrics: the client's address as nginx passes it decides (127.0.0.2 is this host too, not allowed).
        metrics = requests.get(a.url + "/metrics", timeout=10)
        assert metrics.status_code == 200
        assert "hotline_socketio_connections 1.0" in metrics.text  # the console above, counted by the socket group
        assert re.search(
            r'hotline_http_requests_total\{endpoint="/login",method="POST",status="302"\} 1\.0', metrics.text
        )
        assert _status_from("127.0.0.2", a.port, "/metrics") == 403
        b_metrics = requests.get(b.url + "/metrics", timeout=10).text
        assert 'hotline_tickets_created_total{channel="phone"} 1.0' in b_metrics
    finally:
        if listener is not None:
            listener.disconnect()
        running = [layout for layout in (a, b) if layout.proc.poll() is None]
        trees = {layout: layout.tree() for layout in running}
        codes = [layout.ctrl_c() for layout in running]
    # make reports the Ctrl-C it got itself as an interrupt; the supervisor under it stopped everything cleanly.
    assert all(code in (0, -signal.SIGINT, 2) for code in codes), codes
    for layout in (a, b):
        assert re.search(r"\[deploy-local [0-9:]+\] stopped\n", layout.tail()), layout.tail()
        assert "killing it" not in layout.tail()
    left = [pid for tree in trees.values() for pid in tree if _alive(pid)]
    assert not left, f"processes left behind: {left}"
    assert all(len(tree) >= 8 for tree in trees.values()), trees  # nginx x3, gunicorn 2+2+2, worker+scheduler
