#!/usr/bin/env python
"""Twilio webhook benchmark: incoming-call webhook throughput and latency under concurrency, against
PostgreSQL through gunicorn, with baselines measured in the same run.

Prints figures, not pass/fail. Run from the repository root with the project's venv:

    .venv/bin/python bench/webhooks.py [--n 2000] [--concurrency 8] [--threads 32] [--keep] [--json]

What it does, all in one run:
  1. recreates a scratch PostgreSQL database (default `hotline_bench_webhooks`), migrates and seeds it;
  2. baseline (database): raw psycopg `INSERT ...; COMMIT` of one call-sized row per transaction into a
     scratch table, at the same concurrency;
  3. starts gunicorn (gthread) with HOTLINE_TELEPHONY=twilio, so every webhook checks X-Twilio-Signature;
  4. baseline (framework): POST /integrations/twilio/voice without a signature: Flask, the blueprint and
     the signature check answer 403 without touching the database;
  5. incoming calls: POST /integrations/twilio/voice signed, one new CallSid each (a call record is
     inserted, the line looked up, the Mandarin greeting TwiML rendered);
  6. retried incoming calls: the same requests again (Twilio retries: no new record);
  7. menu key 1 with no operator free: the call is offered, locked, queued (Enqueue TwiML, a socket
     event through the outbox);
  8. status callbacks: `completed` for every call (monotonic update, outcome, wait seconds);
  and prints throughput, p50/p95/p99 per phase and CPU seconds per process group (see bench/intake.py).
Target (issue 6): incoming-call p99 under 50 ms at concurrency 8 (Twilio's timeout is 15 s).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from email.utils import formatdate
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import intake as common  # noqa: E402 - the shared measurement helpers of bench/intake.py
import psycopg  # noqa: E402
import redis  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

AUTH_TOKEN = "bench0123456789abcdef0123456789ab"
ACCOUNT_SID = "AC" + "5" * 32
TARGET_P99_MS = 50.0
say = common.say

CALL_DDL = """
CREATE TABLE bench_calls (
    id bigserial PRIMARY KEY, call_sid varchar(64) NOT NULL UNIQUE, direction varchar(10) NOT NULL,
    from_number varchar(32) NOT NULL, to_number varchar(32) NOT NULL, line varchar(20), status varchar(16) NOT NULL,
    started_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, queued boolean NOT NULL,
    callback_needed boolean NOT NULL, status_check_failures integer NOT NULL
)"""
CALL_INSERT = """INSERT INTO bench_calls (call_sid, direction, from_number, to_number, line, status, started_at,
    updated_at, queued, callback_needed, status_check_failures)
VALUES (%s, 'inbound', %s, %s, '12345', 'ringing', now(), now(), false, false, 0) ON CONFLICT (call_sid) DO NOTHING"""


def voice_form(sid: str, caller: str, to: str) -> dict:
    """A recorded incoming-call webhook's fields (tests/fixtures/twilio/voice_incoming.json)."""
    return {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "CallSid": sid,
        "CallStatus": "ringing",
        "Called": to,
        "CalledCountry": "CN",
        "Caller": caller,
        "CallerCountry": "CN",
        "Direction": "inbound",
        "From": caller,
        "FromCountry": "CN",
        "To": to,
        "ToCountry": "CN",
    }


def signed(base: str, path: str, form: dict, sign: bool = True) -> tuple:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if sign:
        headers["X-Twilio-Signature"] = RequestValidator(AUTH_TOKEN).compute_signature(base + path, form)
    return ("POST", path, urlencode(form).encode(), headers)


def run_db_baseline(url: str, jobs: list[tuple[str, str, str]], concurrency: int, meter) -> common.PhaseResult:
    import itertools
    import threading
    from collections import Counter

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_calls")
        conn.execute(CALL_DDL)
    n = len(jobs)
    latencies = [0.0] * n
    counter = itertools.count()
    clock: dict = {}
    conns = [psycopg.connect(url) for _ in range(concurrency)]

    def start() -> None:
        clock["before"] = meter.snapshot()
        clock["t0"] = time.perf_counter()

    barrier = threading.Barrier(concurrency, action=start)

    def worker(conn) -> None:
        cur = conn.cursor()
        barrier.wait()
        while (i := next(counter)) < n:
            t0 = time.perf_counter()
            cur.execute(CALL_INSERT, jobs[i], prepare=True)
            conn.commit()
            latencies[i] = (time.perf_counter() - t0) * 1000.0

    threads = [threading.Thread(target=worker, args=(c,), daemon=True) for c in conns]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - clock["t0"]
    after = meter.snapshot()
    for c in conns:
        c.close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE bench_calls")
    return common.PhaseResult(
        "baseline: raw INSERT",
        n,
        concurrency,
        wall,
        latencies,
        Counter({"ok": n}),
        None,
        [],
        common.CpuMeter.diff(clock["before"], after),
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=2000, help="calls per phase (default 2000)")
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8772)
    ap.add_argument(
        "--admin-url", default=os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
    )
    ap.add_argument("--db-name", default="hotline_bench_webhooks")
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379/6")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object on stdout")
    args = ap.parse_args()
    if args.json:
        common.OUT = sys.stderr

    host, port = args.host, args.port
    base = f"http://{host}:{port}"
    db_url = common.with_dbname(args.admin_url, args.db_name)
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "REDIS_URL": args.redis_url,
        "PYTHONUNBUFFERED": "1",
        "SECRET_KEY": "bench-secret-key",
        "HOTLINE_TELEPHONY": "twilio",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "HOTLINE_PUBLIC_URL": base,
    }
    say(
        f"webhook benchmark — {args.n} calls per phase, concurrency {args.concurrency}, "
        f"gunicorn -w {args.workers} --threads {args.threads}; {common.source_description()}"
    )
    say(
        f"client, gunicorn, PostgreSQL and Redis share this machine's {os.cpu_count()} cores; "
        f"load average at start {os.getloadavg()[0]:.2f}"
    )

    common.recreate_database(args.admin_url, args.db_name)
    redis.Redis.from_url(args.redis_url).flushdb()
    common.run_flask(["db", "upgrade"], env)
    common.run_flask(["seed-demo"], env)
    results: dict = {"config": {**vars(args), "cores": os.cpu_count(), "postgres": common.pg_settings(db_url)}}

    lines = ["+8656312345", "12315", "12369", "056312333"]
    callers = [f"+86139{i:08d}" for i in range(args.n + args.warmup)]
    sids = ["CA" + uuid.uuid4().hex for _ in callers]
    forms = [voice_form(sids[i], caller, lines[i % len(lines)]) for i, caller in enumerate(callers)]
    warm, forms = forms[: args.warmup], forms[args.warmup :]
    run_sids = sids[args.warmup :]
    phases: list[tuple[common.PhaseResult, int]] = []
    meter = common.CpuMeter(None)
    phases.append(
        (run_db_baseline(db_url, [(f["CallSid"], f["From"], f["To"]) for f in forms], args.concurrency, meter), 0)
    )

    server = common.Server(args.workers, args.threads, host, port, env)
    try:
        server.start()
        meter = common.CpuMeter(server.proc.pid if server.proc else None)
        voice = "/integrations/twilio/voice"

        def phase(name, jobs, build, ok):
            result = common.run_http_phase(name, host, port, jobs, build, args.concurrency, ok, meter)
            phases.append((result, ok))
            return result

        common.run_http_phase(
            "warm-up", host, port, warm, lambda f: signed(base, voice, f), args.concurrency, 200, meter
        )
        phase("baseline: unsigned → 403", forms, lambda f: signed(base, voice, f, sign=False), 403)
        phase("incoming call (new CallSid)", forms, lambda f: signed(base, voice, f), 200)
        phase("incoming call retried", forms, lambda f: signed(base, voice, f), 200)
        menu = "/integrations/twilio/voice/menu"
        phase(
            "menu 1 → queue (no operator)",
            run_sids,
            lambda sid: signed(
                base,
                menu,
                {
                    "AccountSid": ACCOUNT_SID,
                    "CallSid": sid,
                    "Digits": "1",
                    "CallStatus": "in-progress",
                    "msg": "Gather End",
                },
            ),
            200,
        )
        status = "/integrations/twilio/voice/status"
        phase(
            "status callback completed",
            run_sids,
            lambda sid: signed(
                base,
                status,
                {
                    "AccountSid": ACCOUNT_SID,
                    "CallSid": sid,
                    "CallStatus": "completed",
                    "CallDuration": "42",
                    "Timestamp": formatdate(usegmt=True),
                },
            ),
            200,
        )
        with psycopg.connect(db_url) as conn:
            counts = conn.execute(
                "SELECT count(*), count(*) FILTER (WHERE outcome = 'abandoned'), "
                "count(*) FILTER (WHERE line = '12315') FROM calls"
            ).fetchone()
        results["calls_in_database"] = {"calls": counts[0], "abandoned": counts[1], "line_12315": counts[2]}
    finally:
        server.stop()
        if not args.keep:
            common.drop_database(args.admin_url, args.db_name)

    say("")
    say(f"{'phase':34} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}  errors  server CPU s")
    results["phases"] = {}
    for result, ok in phases:
        s = result.summary(ok) if ok else {**result.summary(0), "errors": 0}
        results["phases"][result.name] = s
        say(
            f"{result.name:34} {s['rps']:8.1f} {s['p50_ms']:8.2f} {s['p95_ms']:8.2f} {s['p99_ms']:8.2f} "
            f"{s['max_ms']:8.2f}  {s['errors']:6d}  {s['cpu_s'].get('server', 0):.1f}"
        )
        if s.get("first_error") and ok:
            say(f"    first error: {s['first_error'][:300]}")
    incoming = results["phases"]["incoming call (new CallSid)"]
    say("")
    say(f"call records: {results['calls_in_database']} (expected {args.n + args.warmup} calls, one per CallSid)")
    verdict = "meets" if incoming["p99_ms"] < TARGET_P99_MS and not incoming["errors"] else "MISSES"
    say(
        f"incoming-call webhook p99 {incoming['p99_ms']:.1f} ms at concurrency {args.concurrency}: "
        f"{verdict} the {TARGET_P99_MS:.0f} ms target"
    )
    if args.json:
        print(json.dumps(results, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
