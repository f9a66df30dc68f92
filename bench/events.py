"""Live events benchmark: 200 Socket.IO clients across departments, 1,000 ticket actions, end to end.

Starts two real web instances (gunicorn, as in production) sharing PostgreSQL and the Redis message queue, and
connects 200 department clients on /agents (10 per department, 20 departments, half on each instance) from four
child processes. Then 250 tickets go through dispatch -> sign -> reply -> approve-reply: 1,000 actions, in four
runs:

- in-process: the actions run in this process through hotline.actions exactly as in a web process (commit,
  outbox.kick, the socket relay thread publishes through Redis, both instances push to their clients). Latency is
  from the exact COMMIT instant (an after_commit hook) to the client's event handler: the figure the target is for.
- http: the actions are POSTed to the two instances alternately; latency is from the event's `updated_at` (the
  action's timestamp, taken inside the transaction before COMMIT, so it over-states commit -> receipt).
  Baseline: the action's own HTTP round trip.
Each mode runs once paced (--rate actions/s across --threads threads; 25/s is several times a large city's peak)
and once unpaced (saturation: every thread as fast as it goes; the latency then includes queueing for the GIL).

Every run checks that each client of the right department got each of its department's events exactly once, and
that no client received another department's event. All processes share this machine's clock.

    .venv/bin/python bench/events.py [--clients 200] [--departments 20] [--tickets 250] [--threads 8] [--rate 25]
    .venv/bin/python bench/events.py --url http://127.0.0.1:8080 --database-url URL --redis-url URL [--channel C]

--url measures a deployment that is already running (`make deploy-local`: every client and every action goes
through its nginx, Socket.IO to its socket group) instead of starting two instances: the bench's department
users are created in the deployment's database (--database-url), and the in-process runs publish on the
deployment's Redis (--redis-url, and --channel when it sets HOTLINE_SOCKETIO_CHANNEL); nothing is flushed.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import multiprocessing
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
import socketio  # noqa: E402
from sqlalchemy import create_engine, make_url, select, text  # noqa: E402

from tests.live_server import web_servers  # noqa: E402


def fresh_database(admin_url: str, name: str) -> str:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q / 100 * (len(s) - 1))))]


class Client:
    def __init__(self, url: str, token: str, dept: str):
        self.dept = dept
        self.received: list[tuple[dict, float]] = []
        self.lock = threading.Lock()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("event", self.on_event, namespace="/agents")
        self.url, self.token = url, token

    def on_event(self, data) -> None:
        now = time.time()
        with self.lock:
            self.received.append((data, now))

    def connect(self) -> None:
        self.sio.connect(
            self.url, namespaces=["/agents"], auth={"token": self.token}, transports=["websocket"], wait_timeout=20
        )


def client_process(assignments: list[tuple[str, str, str]], conn) -> None:
    """Runs in a child process: a share of the clients, so that receiving does not compete for the GIL with
    the actions being measured. Answers commands on `conn`: count, clear, collect, stop."""
    clients = [Client(url, token, dept) for url, token, dept in assignments]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda c: c.connect(), clients))
    conn.send("ready")
    while True:
        cmd = conn.recv()
        if cmd == "count":
            conn.send(sum(len(c.received) for c in clients))
        elif cmd == "clear":
            for c in clients:
                with c.lock:
                    c.received.clear()
            conn.send("ok")
        elif cmd == "collect":
            out = []
            for i, c in enumerate(clients):
                with c.lock:
                    out += [(i, c.dept, ev, at) for ev, at in c.received]
            conn.send(out)
        elif cmd == "stop":
            for c in clients:
                c.sio.disconnect()
            conn.send("ok")
            return


class RemoteClients:
    """The 200 clients, spread over a few child processes."""

    def __init__(self, assignments: list[tuple[str, str, str]], processes: int):
        ctx = multiprocessing.get_context("spawn")
        self.depts = [dept for _, _, dept in assignments]
        self.pipes, self.procs = [], []
        for k in range(processes):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=client_process, args=(assignments[k::processes], child), daemon=True)
            proc.start()
            self.pipes.append(parent)
            self.procs.append(proc)
        for pipe in self.pipes:
            if not pipe.poll(60) or pipe.recv() != "ready":
                raise RuntimeError("a client process did not connect its clients")

    def _all(self, cmd: str) -> list:
        for pipe in self.pipes:
            pipe.send(cmd)
        return [pipe.recv() for pipe in self.pipes]

    def count(self) -> int:
        return sum(self._all("count"))

    def clear(self) -> None:
        self._all("clear")

    def collect(self) -> list[tuple[tuple[int, int], str, dict, float]]:
        return [((k, i), dept, ev, at) for k, rows in enumerate(self._all("collect")) for i, dept, ev, at in rows]

    def stop(self) -> None:
        try:
            self._all("stop")
        finally:
            for proc in self.procs:
                proc.join(timeout=10)
                if proc.is_alive():
                    proc.kill()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    p.add_argument("--clients", type=int, default=200)
    p.add_argument("--departments", type=int, default=20)
    p.add_argument("--tickets", type=int, default=250)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--client-processes", type=int, default=4)
    p.add_argument("--rate", type=int, default=25, help="actions per second of the paced runs")
    p.add_argument("--url", help="measure the deployment running at URL (e.g. make deploy-local's nginx)")
    p.add_argument("--database-url", help="with --url: the deployment's database")
    p.add_argument("--channel", default="flask-socketio", help="with --url: the deployment's Socket.IO channel")
    args = p.parse_args()
    if args.url and not args.database_url:
        p.error("--url needs --database-url (the bench creates its department users there)")

    url = args.database_url if args.url else fresh_database(args.admin_url, "hotline_bench_events")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    os.environ.update(DATABASE_URL=url, REDIS_URL=args.redis_url)
    # The app refuses to start without SECRET_KEY: a throwaway one for this run and the processes it starts.
    os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))
    from flask_migrate import upgrade

    from hotline import create_app
    from hotline.api.auth import issue_token
    from hotline.cli import create_or_update_user, seed_demo
    from hotline.extensions import db, get_redis
    from hotline.models import Department, User

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": args.redis_url, "OUTBOX_RELAY_THREAD": False})
    with app.app_context():
        upgrade()
        seed_demo()
        if not args.url:
            get_redis().flushdb()
        codes = list(
            db.session.scalars(
                select(Department.code)
                .where(Department.kind != "center")
                .order_by(Department.code)
                .limit(args.departments)
            )
        )
        tokens = {}
        for code in codes:
            name = f"bench_{code.lower()}"
            create_or_update_user(name, "bench-pass", "department", code, name)
            tokens[code] = issue_token(db.session.scalar(select(User).where(User.username == name)))
        op_token = issue_token(db.session.scalar(select(User).where(User.username == "operator")))
        sup_token = issue_token(db.session.scalar(select(User).where(User.username == "supervisor")))
    print(f"database {make_url(url).database}; {len(codes)} departments; redis {args.redis_url}")

    if args.url:
        channel = args.channel
        servers = contextlib.nullcontext([args.url, args.url])
        print(f"the deployment at {args.url}: every client and action through it")
    else:
        channel = f"hotline-bench-events-{os.getpid()}"
        tmp = tempfile.mkdtemp(prefix="bench-events-")  # the servers' logs stay here
        print(f"web server logs in {tmp}")
        servers = web_servers(
            url, args.redis_url, count=2, tmp_dir=tmp, threads=args.clients // 2 + 100, channel=channel
        )
    with servers as urls:
        t0 = time.perf_counter()
        clients = RemoteClients(
            [(urls[i % 2], tokens[codes[i % len(codes)]], codes[i % len(codes)]) for i in range(args.clients)],
            processes=args.client_processes,
        )
        print(
            f"{len(clients.depts)} clients connected to {len(urls)} instances from {args.client_processes} "
            f"processes in {time.perf_counter() - t0:.1f}s"
        )

        channel_app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "REDIS_URL": args.redis_url,
                "OUTBOX_RELAY_THREAD": True,
                "SOCKETIO_CHANNEL": channel,
            }
        )
        results = {}
        for rate in (args.rate, 0):
            for mode in ("inprocess", "http"):
                results[(rate, mode)] = run_phase(
                    mode, rate, args, urls, clients, codes, tokens, op_token, sup_token, channel_app
                )
        clients.stop()

    for (rate, mode), r in results.items():
        pace = f"paced at {rate}/s" if rate else f"unpaced, {args.threads} threads (saturation)"
        print(
            f"-- {mode}, {pace}: {r['actions']} actions in {r['seconds']:.1f}s "
            f"({r['actions'] / r['seconds']:.0f}/s), {r['label']}"
        )
        lat = r["latencies"]
        print(
            f"   deliveries: expected {r['expected']}, received {r['got']}, duplicates {r['duplicates']}, "
            f"to another department's client: {r['wrong']}"
        )
        print(
            f"   event latency: p50 {pct(lat, 50):.1f} ms, p99 {pct(lat, 99):.1f} ms, max {max(lat):.1f} ms, "
            f"mean {statistics.mean(lat):.1f} ms"
        )
        if r["round_trips"]:
            ms = [x * 1000 for x in r["round_trips"]]
            print(f"   baseline, the action's own HTTP round trip: p50 {pct(ms, 50):.1f} ms, p99 {pct(ms, 99):.1f} ms")
    ok = all(r["got"] == r["expected"] and not r["wrong"] and not r["duplicates"] for r in results.values())
    ok = ok and pct(results[(args.rate, "inprocess")]["latencies"], 99) < 100
    print(
        "RESULT:",
        f"OK (commit -> client p99 < 100 ms at {args.rate} actions/s; isolation holds in every run)"
        if ok
        else "NOT MET",
    )


def run_phase(mode, rate, args, urls, clients, codes, tokens, op_token, sup_token, app) -> dict:
    """One batch of tickets driven through 4 actions each: over HTTP to the two instances (latency from the
    action's timestamp), or in this process through hotline.actions exactly as a web process runs them
    (latency from the exact COMMIT instant, recorded by an after_commit hook; the relay thread delivers)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from hotline import actions
    from hotline.extensions import db
    from hotline.models import User

    sessions = [requests.Session() for _ in range(2)]
    round_trips: list[float] = []
    lock = threading.Lock()
    dept_of: dict[int, str] = {}
    commit_at: dict[tuple[int, str], float] = {}
    local = threading.local()
    counter = iter(range(10**9))
    pace_lock = threading.Lock()
    next_slot = [time.perf_counter()]

    def pace() -> None:
        """At most `rate` actions a second across all threads (0: as fast as they go)."""
        if not rate:
            return
        with pace_lock:
            slot = max(next_slot[0], time.perf_counter())
            next_slot[0] = slot + 1.0 / rate
        time.sleep(max(0.0, slot - time.perf_counter()))

    def post(path: str, token: str, body: dict) -> dict:
        if "/actions/" in path:
            pace()
        n = next(counter)
        start = time.perf_counter()
        r = sessions[n % 2].post(
            urls[n % 2] + "/api/v1" + path, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        elapsed = time.perf_counter() - start
        if r.status_code not in (200, 201):
            raise RuntimeError(f"{path}: {r.status_code} {r.text[:200]}")
        if "/actions/" in path:
            with lock:
                round_trips.append(elapsed)
        return r.json()

    def on_commit(_session) -> None:
        local.committed = time.time()

    body = {
        "channel": "phone",
        "type": "complaint",
        "urgency": "normal",
        "content": "小区路灯不亮，请尽快维修。",
        "caller_phone": "13812345678",
        "region": "341802001",
    }
    tickets = [post("/tickets", op_token, body) for _ in range(args.tickets)]
    time.sleep(1.0)  # the creation events go to the centre only; let them drain
    clients.clear()

    def drive_http(i_ticket: tuple[int, dict]) -> None:
        i, t = i_ticket
        code, tid = codes[i % len(codes)], t["id"]
        dept_of[tid] = code
        post(f"/tickets/{tid}/actions/dispatch", op_token, {"department": code})
        post(f"/tickets/{tid}/actions/sign", tokens[code], {})
        post(f"/tickets/{tid}/actions/reply", tokens[code], {"text": "已修复。"})
        post(f"/tickets/{tid}/actions/approve-reply", sup_token, {})

    def drive_inprocess(i_ticket: tuple[int, dict]) -> None:
        i, t = i_ticket
        code, tid = codes[i % len(codes)], t["id"]
        dept_of[tid] = code
        with app.app_context():
            users = {
                u.username: u
                for u in db.session.scalars(
                    select(User).where(User.username.in_(["operator", "supervisor", f"bench_{code.lower()}"]))
                )
            }
            dept_user = users[f"bench_{code.lower()}"]
            steps = [
                ("dispatch", lambda: actions.dispatch_ticket(tid, users["operator"], department=code)),
                ("sign", lambda: actions.sign_ticket(tid, dept_user)),
                ("reply", lambda: actions.reply_ticket(tid, dept_user, text="已修复。")),
                ("approve-reply", lambda: actions.approve_reply(tid, users["supervisor"])),
            ]
            for name, step in steps:
                pace()
                step()
                with lock:
                    commit_at[(tid, name)] = local.committed
            db.session.remove()

    event.listen(Session, "after_commit", on_commit)
    t0 = time.perf_counter()
    try:
        with ThreadPoolExecutor(args.threads) as pool:
            list(pool.map(drive_http if mode == "http" else drive_inprocess, enumerate(tickets)))
    finally:
        event.remove(Session, "after_commit", on_commit)
    seconds = time.perf_counter() - t0

    per_dept: dict[str, int] = {}
    for d in clients.depts:
        per_dept[d] = per_dept.get(d, 0) + 1
    expected = sum(4 * per_dept.get(dept_of[t["id"]], 0) for t in tickets)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and clients.count() < expected:
        time.sleep(0.05)
    time.sleep(0.5)  # anything extra (duplicates, strays) shows up now

    latencies, wrong, duplicates = [], 0, 0
    seen: set = set()
    for who, dept, ev, at in clients.collect():
        if ev.get("type") != "ticket" or ev.get("op") == "notice" or ev.get("id") not in dept_of:
            continue  # a notice (the department's inbox line) rides beside the ticket event it follows
        if dept_of[ev["id"]] != dept:
            wrong += 1
            continue
        key = (ev["id"], ev["action"])
        duplicates += (who, key) in seen
        seen.add((who, key))
        start = commit_at[key] if mode == "inprocess" else dt.datetime.fromisoformat(ev["updated_at"]).timestamp()
        latencies.append((at - start) * 1000)
    label = (
        "in this process, latency from COMMIT"
        if mode == "inprocess"
        else "over HTTP to both instances, latency from the action's timestamp (before COMMIT)"
    )
    return {
        "actions": 4 * len(tickets),
        "seconds": seconds,
        "expected": expected,
        "got": len(latencies) - duplicates,
        "wrong": wrong,
        "duplicates": duplicates,
        "latencies": latencies,
        "round_trips": round_trips,
        "label": label,
    }


if __name__ == "__main__":
    main()
