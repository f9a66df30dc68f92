#!/usr/bin/env python
"""Public side benchmark: status lookups per second and Open311 `requests.json` listing latency, with
100,000 tickets stored in PostgreSQL. Prints figures, not pass/fail.

    .venv/bin/python bench/public.py [--tickets 100000] [--seconds 10] [--concurrency 8] [--keep]
    .venv/bin/python bench/public.py --url http://127.0.0.1:8080 [--database-url URL] [--tickets 2000] ...

--url URL measures a deployment that is already running (`make deploy-local`: through its nginx), started with
the lookup limit out of reach (HOTLINE_PUBLIC_LOOKUP_RATE_LIMIT="1000000000 per minute;1000000000 per hour": every
client here is one address): no database or server of its own; --tickets tickets (default 2,000 there) are created
through its API as the demo operator (their codes are known only then), then looked up for --seconds and the
Open311 listing timed. --database-url (the deployment's database) adds the raw-SQL baselines.

What it does, in one run:
  1. recreates a scratch database (`hotline_bench_public`), migrates it, seeds the demo catalogue and inserts
     --tickets tickets over the last 120 days (half consented to publication, 40% closed with a reply);
  2. baseline: the same lookup as raw SQL (psycopg, SELECT ... WHERE number = %s) from --concurrency processes;
  3. starts gunicorn (gthread) on 127.0.0.1:8781 and runs GET /api/v1/public/tickets/<number>?code=<code> from
     --concurrency client processes, each with one keep-alive connection, for --seconds, picking random tickets
     with their right codes; once with 1 worker (as ARCHITECTURE.md deploys the web process) and once as the
     README's API group (-w 2 --threads 2, the client's connections divided among the processes);
  4. times Open311 GET requests.json (the default: last 90 days, up to 1,000 consented requests, desensitised),
     a filtered listing and a list of ids, sequentially, against raw SQL for the same rows.

The rate limiter: every client here is 127.0.0.1, so the production default (10 lookups a minute per client)
would make this a benchmark of 429s. The server therefore runs with HOTLINE_PUBLIC_LOOKUP_RATE_LIMIT set to
"1000000000 per minute;1000000000 per hour": the limiter stays on and counts every lookup in both windows in
Redis, as the production default does (its cost is in the figures), but never refuses. One more phase runs with
HOTLINE_RATELIMIT_ENABLED=0 to show what the limiter costs.
Client, server, PostgreSQL and Redis share the machine's cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import multiprocessing as mp
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, make_url, select, text  # noqa: E402

DB_NAME = "hotline_bench_public"
SECRET = "bench-public-secret"
HOST, PORT = "127.0.0.1", 8781


def fresh_database(admin_url: str) -> str:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DB_NAME}"'))
    admin.dispose()
    return make_url(admin_url).set(database=DB_NAME).render_as_string(hide_password=False)


def build(url: str, redis_url: str, n: int) -> list[tuple[str, str]]:
    """Migrate, seed and insert n tickets; returns (number, code) of each."""
    from flask_migrate import upgrade

    from hotline import create_app
    from hotline.cli import seed_demo
    from hotline.extensions import db
    from hotline.models import Category, Department, Region, Ticket
    from hotline.retrieval_codes import hash_retrieval_code

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": redis_url, "OUTBOX_RELAY_THREAD": False, "SECRET_KEY": SECRET}
    )
    rng = random.Random(8)
    keys: list[tuple[str, str]] = []
    with app.app_context():
        upgrade()
        seed_demo()
        cats = [c.code for c in db.session.scalars(select(Category).where(Category.level == 3))]
        regions = list(db.session.scalars(select(Region.code).where(Region.level == "street")))
        depts = list(db.session.scalars(select(Department.id).where(Department.kind == "bureau")))
        now = dt.datetime.now(dt.UTC)
        t0 = time.perf_counter()
        rows = []
        for i in range(n):
            age = dt.timedelta(days=i % 120, seconds=rng.randrange(86400))
            created = now - age
            number = f"XC{created.strftime('%Y%m%d')}{i // 120 + 1:05d}{i % 120:03d}"
            code = f"{rng.randrange(1_000_000):06d}"
            keys.append((number, code))
            closed = i % 5 < 2
            rows.append(
                {
                    "number": number,
                    "retrieval_code_hash": hash_retrieval_code(number, code),
                    "channel": rng.choice(("phone", "web", "open311")),
                    "type": rng.choice(("complaint", "help", "consult")),
                    "urgency": "normal",
                    "status": "closed" if closed else rng.choice(("dispatched", "in_progress", "reply_review")),
                    "category_code": rng.choice(cats),
                    "region_code": rng.choice(regions),
                    "title": "小区门口路灯一周不亮了",
                    "content": f"我叫王小明，电话1381234{i % 10000:04d}，梅园路{i % 200}号门口路灯不亮，晚上很不安全。",
                    "address": f"梅园路{i % 200}号",
                    "publishable": i % 2 == 0,
                    "confidential": False,
                    "department_id": rng.choice(depts),
                    "dispatch_rounds": 1,
                    "designated": False,
                    "reopen_count": 0,
                    "satisfaction_excluded": False,
                    "due_at": created + dt.timedelta(days=7),
                    "reply_text": "经核实，路灯已于次日修复。" if closed else None,
                    "replied_at": created + dt.timedelta(days=2) if closed else None,
                    "reply_approved_at": created + dt.timedelta(days=2) if closed else None,
                    "closed_at": created + dt.timedelta(days=3) if closed else None,
                    "created_at": created,
                    "updated_at": created,
                }
            )
            if len(rows) == 5000:
                db.session.execute(insert(Ticket), rows)
                rows = []
        if rows:
            db.session.execute(insert(Ticket), rows)
        db.session.commit()
        db.session.execute(text("ANALYZE tickets"))
        db.session.commit()
        print(f"built {n:,} tickets in {time.perf_counter() - t0:.1f} s")
        db.engine.dispose()
    return keys


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


# ---- load generators (one process each, started together) -------------------------------------------


def _http_client(args) -> tuple[list[float], int, int]:
    keys, seconds, seed, start_at = args
    rng = random.Random(seed)
    conn = http.client.HTTPConnection(HOST, PORT, timeout=10)
    lat, errors, limited = [], 0, 0
    while time.time() < start_at:
        time.sleep(0.001)
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        number, code = keys[rng.randrange(len(keys))]
        t0 = time.perf_counter()
        conn.request("GET", f"/api/v1/public/tickets/{number}?code={code}")
        resp = conn.getresponse()
        resp.read()
        lat.append(time.perf_counter() - t0)
        if resp.status == 429:
            limited += 1
        elif resp.status != 200:
            errors += 1
    conn.close()
    return lat, errors, limited


def _sql_client(args) -> tuple[list[float], int, int]:
    import psycopg

    keys, seconds, seed, start_at, dsn = args
    rng = random.Random(seed)
    lat = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        while time.time() < start_at:
            time.sleep(0.001)
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            number, _ = keys[rng.randrange(len(keys))]
            t0 = time.perf_counter()
            conn.execute(
                "SELECT number, retrieval_code_hash, status, created_at, due_at, reply_text, reply_approved_at,"
                " answer_text, closed_at FROM tickets WHERE number = %s",
                (number,),
            ).fetchone()
            lat.append(time.perf_counter() - t0)
    return lat, 0, 0


def run_phase(label: str, target, keys, seconds: int, concurrency: int, extra=()) -> dict:
    start_at = time.time() + 1.0
    jobs = [(keys, seconds, i, start_at, *extra) for i in range(concurrency)]
    with mp.get_context("fork").Pool(concurrency) as pool:
        results = pool.map(target, jobs)
    lat = [x for r in results for x in r[0]]
    errors, limited = sum(r[1] for r in results), sum(r[2] for r in results)
    out = {
        "label": label,
        "n": len(lat),
        "rps": len(lat) / seconds,
        "p50": pct(lat, 50) * 1000,
        "p99": pct(lat, 99) * 1000,
        "errors": errors,
        "limited": limited,
    }
    print(
        f"  {label:<46} {out['rps']:>8,.0f}/s   p50 {out['p50']:6.2f} ms   p99 {out['p99']:6.2f} ms"
        f"   ({out['n']:,} lookups, {errors} errors, {limited} refused)"
    )
    return out


class Server:
    def __init__(self, workers: int, threads: int, env: dict, connections: int):
        self.cmd = [
            str(Path(sys.executable).parent / "gunicorn"),
            "--no-control-socket",
            "-w",
            str(workers),
            "--threads",
            str(threads),
            # the client's connections divided among the processes (the README's API group): they spread
            # evenly instead of by accept() races
            "--worker-connections",
            str(connections),
            "-b",
            f"{HOST}:{PORT}",
            "wsgi:app",
        ]
        self.env = env
        fd, self.log_path = tempfile.mkstemp(prefix="bench-public-gunicorn-", suffix=".log")
        self.log = os.fdopen(fd, "wb")
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited: {Path(self.log_path).read_text()[-2000:]}")
            try:
                conn = http.client.HTTPConnection(HOST, PORT, timeout=2)
                conn.request("GET", "/open311/v2/discovery.json")
                if conn.getresponse().status == 200:
                    conn.close()
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.__exit__()
        raise SystemExit("gunicorn did not answer within 60 s")

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        os.unlink(self.log_path)


def time_get(path: str, n: int) -> tuple[float, float, int]:
    conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
    lat, size = [], 0
    for _ in range(n):
        t0 = time.perf_counter()
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read()
        lat.append(time.perf_counter() - t0)
        assert resp.status == 200, (path, resp.status, body[:300])
        size = body.count(b'"service_request_id"')
    conn.close()
    return statistics.median(lat) * 1000, pct(lat, 99) * 1000, size


def time_sql(dsn: str, sql: str, params: dict, n: int) -> float:
    import psycopg

    lat = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        for _ in range(n):
            t0 = time.perf_counter()
            conn.execute(sql, params).fetchall()
            lat.append(time.perf_counter() - t0)
    return statistics.median(lat) * 1000


LISTING_SQL = """
SELECT t.number, t.status, t.content, t.address, t.category_code, t.region_code, t.created_at, t.updated_at,
       t.due_at, t.reply_text, t.reply_approved_at, t.answer_text, d.name, c.name, s.lat, s.long
FROM tickets t LEFT JOIN departments d ON d.id = t.department_id LEFT JOIN callers c ON c.id = t.caller_id
LEFT JOIN public_submissions s ON s.ticket_id = t.id
WHERE t.publishable IS true AND t.confidential IS false AND t.created_at >= now() - interval '90 days'
ORDER BY t.created_at DESC, t.id DESC LIMIT 1000
"""


def create_through_api(n: int, concurrency: int) -> list[tuple[str, str]]:
    """n tickets through POST /api/v1/tickets at HOST:PORT as the demo operator; (number, code) of each."""
    import json
    from concurrent.futures import ThreadPoolExecutor

    conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
    body = json.dumps({"username": "operator", "password": "demo-operator"})
    conn.request("POST", "/api/v1/auth/token", body=body, headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    token = json.loads(resp.read())["token"]
    conn.close()
    headers = {"Content-Type": "application/json; charset=utf-8", "Authorization": f"Bearer {token}"}

    def make(k: int) -> list[tuple[str, str]]:
        rng = random.Random()
        out = []
        c = http.client.HTTPConnection(HOST, PORT, timeout=30)
        for i in range(k, n, concurrency):
            ticket = {
                "channel": "phone",
                "type": "complaint",
                "content": f"梅园路{i % 200}号门口路灯不亮，晚上很不安全，请尽快维修。",
                "address": f"梅园路{i % 200}号",
                "caller_phone": "13" + "".join(rng.choice("0123456789") for _ in range(9)),
            }
            c.request("POST", "/api/v1/tickets", body=json.dumps(ticket, ensure_ascii=False).encode(), headers=headers)
            r = c.getresponse()
            data = json.loads(r.read())
            if r.status != 201:
                raise SystemExit(f"intake failed: HTTP {r.status}: {data}")
            out.append((data["number"], data["retrieval_code"]))
        c.close()
        return out

    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        keys = [key for part in pool.map(make, range(concurrency)) for key in part]
    print(f"created {n:,} tickets through the API in {time.perf_counter() - t0:.1f} s")
    return keys


def main_url(args) -> None:
    """The deployment at --url: status lookups and the Open311 listing through it."""
    global HOST, PORT
    from urllib.parse import urlsplit

    parts = urlsplit(args.url)
    HOST, PORT = parts.hostname or "127.0.0.1", parts.port or 80
    keys = create_through_api(args.tickets or 2000, args.concurrency)
    dsn = (
        make_url(args.database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        if args.database_url
        else None
    )
    print(
        f"\npublic status lookups through {args.url}, {len(keys):,} tickets, concurrency {args.concurrency},"
        f" {args.seconds} s (machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start)"
    )
    results = []
    if dsn:
        results.append(
            run_phase(
                "baseline: raw SELECT by number (psycopg)", _sql_client, keys, args.seconds, args.concurrency, (dsn,)
            )
        )
    status = run_phase(f"the deployment at {args.url}", _http_client, keys, args.seconds, args.concurrency)
    print("\nOpen311 GET requests.json (sequential; median / p99 of 20; rows returned)")
    for label, path in (
        ("default: 90 days, up to 1,000", "/open311/v2/requests.json"),
        ("XML, default", "/open311/v2/requests.xml"),
    ):
        med, p99, rows = time_get(path, 20)
        print(f"  {label:<34} {med:8.1f} ms  p99 {p99:8.1f} ms  ({rows if rows else '-'} rows)")
    if dsn:
        print(f"  baseline: the same rows as raw SQL        {time_sql(dsn, LISTING_SQL, {}, 20):6.1f} ms (median)")
    ok = status["rps"] >= 1000 and status["p99"] < 50 and not status["errors"]
    print(
        f"\ntarget 1,000 lookups/s at p99 < 50 ms: {status['rps']:,.0f}/s at p99 {status['p99']:.1f} ms"
        f" ({status['errors']} errors, {status['limited']} refused) -> {'OK' if ok else 'MISS'}"
    )


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/8")
    p.add_argument("--tickets", type=int, help="tickets to look up (default 100,000; with --url 2,000)")
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--keep", action="store_true")
    p.add_argument("--url", help="measure the deployment running at URL (e.g. make deploy-local's nginx)")
    p.add_argument("--database-url", help="with --url: the deployment's database, for the raw-SQL baselines")
    args = p.parse_args()
    if args.url:
        main_url(args)
        return
    args.tickets = args.tickets or 100_000

    url = fresh_database(args.admin_url)
    keys = build(url, args.redis_url, args.tickets)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": args.redis_url,
        "SECRET_KEY": SECRET,
        "HOTLINE_OUTBOX_RELAY_THREAD": "0",
        # two windows, as in production
        "HOTLINE_PUBLIC_LOOKUP_RATE_LIMIT": "1000000000 per minute;1000000000 per hour",
    }
    print(
        f"\npublic status lookups, {args.tickets:,} tickets, concurrency {args.concurrency}, {args.seconds} s each"
        f" (machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start)"
    )
    results = [
        run_phase("baseline: raw SELECT by number (psycopg)", _sql_client, keys, args.seconds, args.concurrency, (dsn,))
    ]
    # -w 2 --threads 2 (the README's API group): a process per core, two threads each (one computes while the
    # other waits for the database; more only contend for the interpreter lock); -w 1 --threads 8 for comparison.
    for workers, threads, limiter in ((1, 8, True), (2, 2, True), (2, 2, False)):
        env_phase = {**env, "HOTLINE_RATELIMIT_ENABLED": "1" if limiter else "0"}
        connections = -(-args.concurrency // workers)  # the client's connections spread evenly over the processes
        with Server(workers, threads, env_phase, connections):
            label = (
                f"gunicorn -w {workers} --threads {threads} --worker-connections {connections}, "
                f"limiter {'on' if limiter else 'off'}"
            )
            results.append(run_phase(label, _http_client, keys, args.seconds, args.concurrency))
            if workers == 1:
                continue
            if limiter:
                print("\nOpen311 GET requests.json (sequential; median / p99 of 20; rows returned)")
                some = ",".join(k for k, _ in random.Random(1).sample(keys, 10))
                for label, path in (
                    ("default: 90 days, up to 1,000", "/open311/v2/requests.json"),
                    ("service_code + status=open", "/open311/v2/requests.json?service_code=010204&status=open"),
                    ("10 service_request_ids", f"/open311/v2/requests.json?service_request_id={some}"),
                    ("XML, default", "/open311/v2/requests.xml"),
                ):
                    med, p99, rows = time_get(path, 20)
                    print(f"  {label:<34} {med:8.1f} ms  p99 {p99:8.1f} ms  ({rows if rows else '-'} rows)")
                sql_ms = time_sql(dsn, LISTING_SQL, {}, 20)
                print(f"  baseline: the same 1,000 rows as raw SQL  {sql_ms:6.1f} ms (median)")
                print()
    best = max(r["rps"] for r in results[1:3])
    p99 = min(r["p99"] for r in results[1:3] if r["rps"] == best)
    print(
        f"\ntarget 1,000 lookups/s at p99 < 50 ms: best with the limiter on {best:,.0f}/s at p99 {p99:.1f} ms"
        f" -> {'OK' if best >= 1000 and p99 < 50 else 'MISS'}"
    )
    if not args.keep:
        admin = create_engine(args.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
