"""Reports benchmark: 1,000,000 tickets with their timelines (about 5 million events) in PostgreSQL.

Times (1) the monthly KPI report for all departments (hotline.reports.kpis.department_kpis, target
< 2 s) and (2) the hotspot scan (hotline.reports.hotspots.scan, target < 1 s). Baselines in the same
run: the same figures computed the naive way, by loading the month's rows into Python and counting
there (and for the scan, the window's rows into a Counter); the script checks that both ways agree.

    .venv/bin/python bench/reports.py [--tickets 1000000] [--keep]

The data: a year (2025) of tickets, 40% answered directly, 60% dispatched to one of the seeded
departments and then signed (8% late), replied (10% late, some after an approved extension),
approved and called back (3% unreachable, 6% reopened once before the final rating, 5% with a
return, a third of those rejected). Built with INSERT ... SELECT generate_series.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, make_url, text  # noqa: E402

DB_NAME = "hotline_bench_reports"

TICKETS = """
WITH g AS (
  SELECT i, random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5, random() AS r6,
         timestamptz '2025-01-01 00:00+08' + (i::float8 / :n) * interval '365 days' AS created
  FROM generate_series(1, :n) AS i
), p AS (
  SELECT g.*, r1 < 0.4 AS direct,
         (SELECT array_agg(id ORDER BY id) FROM departments WHERE kind <> 'center') AS depts,
         (SELECT array_agg(code ORDER BY code) FROM categories) AS cats,
         (SELECT array_agg(code ORDER BY code) FROM regions WHERE level IN ('street', 'county')) AS regs
  FROM g
), q AS (
  SELECT p.*,
         created + interval '10 minutes' AS dispatched,
         created + interval '10 minutes'
           + CASE WHEN r2 < 0.08 THEN interval '30 hours' ELSE r2 * interval '20 hours' END AS signed,
         depts[1 + (i % array_length(depts, 1))] AS dept
  FROM p
), t AS (
  SELECT q.*, signed + interval '7 days' + CASE WHEN r6 < 0.03 THEN interval '5 days' ELSE interval '0' END AS due,
         signed + CASE WHEN r3 < 0.10 THEN interval '8 days' ELSE r3 * interval '6 days' END AS replied
  FROM q
)
INSERT INTO tickets (number, retrieval_code_hash, channel, type, urgency, status, category_code, region_code,
    address, content, caller_id, publishable, confidential, department_id, dispatch_rounds, designated,
    dispatched_at, sign_due_at, signed_at, due_at, replied_at, reply_approved_at, callback_resolved,
    callback_satisfaction, callback_at, satisfaction_excluded, reopen_count, close_reason, closed_at,
    created_at, updated_at)
SELECT 'XB' || lpad(i::text, 13, '0'), md5(i::text), 'phone', 'complaint', 'normal', 'closed',
       cats[1 + (i::bigint * 7919) % array_length(cats, 1)], regs[1 + (i::bigint * 104729) % array_length(regs, 1)],
       '路' || (i % 5000) || '号', 'bench', NULL, false, false,
       CASE WHEN direct THEN NULL ELSE dept END, CASE WHEN direct THEN 0 ELSE 1 END, false,
       CASE WHEN direct THEN NULL ELSE dispatched END,
       CASE WHEN direct THEN NULL ELSE dispatched + interval '1 day' END,
       CASE WHEN direct THEN NULL ELSE signed END,
       CASE WHEN direct THEN NULL ELSE due END,
       CASE WHEN direct THEN NULL ELSE replied END,
       CASE WHEN direct THEN NULL ELSE replied + interval '2 hours' END,
       CASE WHEN direct OR r4 < 0.03 THEN NULL WHEN r5 < 0.8 THEN 1 WHEN r5 < 0.93 THEN 2 ELSE 3 END,
       CASE WHEN direct OR r4 < 0.03 THEN NULL WHEN r5 < 0.85 THEN 1 WHEN r5 < 0.96 THEN 2 ELSE 3 END,
       CASE WHEN direct OR r4 < 0.03 THEN NULL ELSE replied + interval '1 day' END,
       NOT direct AND r4 >= 0.03 AND r5 >= 0.99,
       CASE WHEN NOT direct AND r4 BETWEEN 0.03 AND 0.09 THEN 1 ELSE 0 END,
       CASE WHEN direct THEN 'answered' WHEN r4 < 0.03 THEN 'unreachable' ELSE 'rated' END,
       CASE WHEN direct THEN created + interval '5 minutes' ELSE replied + interval '1 day' END,
       created, created
FROM t
"""

BURST = """
INSERT INTO tickets (number, retrieval_code_hash, channel, type, urgency, status, category_code, region_code,
    content, publishable, confidential, dispatch_rounds, designated, satisfaction_excluded, reopen_count,
    created_at, updated_at)
SELECT 'XH' || lpad(i::text, 13, '0'), md5(i::text), 'phone', 'complaint', 'normal', 'accepted',
       (SELECT min(code) FROM categories), (SELECT min(code) FROM regions WHERE level = 'street'),
       'burst', false, false, 0, false, false, 0, :at - i * interval '90 minutes', :at - i * interval '90 minutes'
FROM generate_series(1, 12) AS i
"""

EVENTS = [
    # (action, time, where, data)
    ("create", "created_at", "true", "NULL"),
    ("answer", "closed_at", "dispatch_rounds = 0", "NULL"),
    ("dispatch", "dispatched_at", "dispatch_rounds > 0", "json_build_object('round', 1)"),
    ("return", "dispatched_at + interval '1 minute'", "dispatch_rounds > 0 AND id % 20 = 0", "NULL"),
    ("reject-return", "dispatched_at + interval '2 minutes'", "dispatch_rounds > 0 AND id % 60 = 0", "NULL"),
    ("sign", "signed_at", "dispatch_rounds > 0", "json_build_object('on_time', signed_at <= sign_due_at)"),
    (
        "reopen",
        "replied_at - interval '1 hour'",
        "reopen_count > 0",
        "json_build_object('round', json_build_object("
        "'due_at', to_char((due_at - interval '3 days') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
        "'replied_at', to_char((replied_at - interval '2 days') AT TIME ZONE 'UTC', "
        '\'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\')))',
    ),
    ("reply", "replied_at", "dispatch_rounds > 0", "json_build_object('on_time', replied_at <= due_at)"),
    ("approve-reply", "reply_approved_at", "dispatch_rounds > 0", "NULL"),
    ("record-callback", "callback_at", "callback_at IS NOT NULL", "NULL"),
]


def fresh_database(admin_url: str, name: str) -> str:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def build(db, n: int) -> None:
    t0 = time.perf_counter()
    db.session.execute(text("SET LOCAL synchronous_commit = off"))
    db.session.execute(text(TICKETS), {"n": n})
    for action, at, where, data in EVENTS:
        db.session.execute(
            text(
                f"INSERT INTO timeline_events (ticket_id, at, action, actor_label, department_id, data) "
                f"SELECT id, {at}, '{action}', 'bench', department_id, {data} FROM tickets WHERE {where} ORDER BY id"
            )
        )
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # the visibility map lets the covering indexes answer without reading the table
        conn.execute(text("VACUUM ANALYZE tickets"))
        conn.execute(text("VACUUM ANALYZE timeline_events"))
    events = db.session.execute(text("SELECT count(*) FROM timeline_events")).scalar()
    print(f"built {n:,} tickets and {events:,} timeline events in {time.perf_counter() - t0:.1f} s")


def timed(fn, runs: int = 5) -> tuple[float, float, object]:
    """(first run, median of the rest) in ms, and the result."""
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times[0], statistics.median(times[1:]) if runs > 1 else times[0], result


def naive_kpis(db, p) -> dict[int, dict[str, int]]:
    """Baseline: the month's rows loaded into Python and counted there (no GROUP BY, no index-only scans)."""
    out: dict[int, Counter] = {}
    events = db.session.execute(
        text("SELECT id, ticket_id, action, department_id, data, at FROM timeline_events WHERE at >= :s AND at < :e"),
        {"s": p.start, "e": p.end},
    ).all()
    dispatch_tickets = {e.ticket_id for e in events if e.action == "dispatch"}
    # every event of those tickets, to find what followed each dispatch
    by_ticket: dict[int, list] = {}
    if dispatch_tickets:
        for e in db.session.execute(
            text(
                "SELECT id, ticket_id, action, data FROM timeline_events WHERE ticket_id = ANY(:ids) "
                "AND action IN ('sign', 'dispatch', 'approve-return') ORDER BY id"
            ),
            {"ids": list(dispatch_tickets)},
        ):
            by_ticket.setdefault(e.ticket_id, []).append(e)
    for e in events:
        c = out.setdefault(e.department_id, Counter())
        if e.action in ("dispatch", "return", "reject-return"):
            c[e.action] += 1
        if e.action == "dispatch":
            nxt = next((x for x in by_ticket.get(e.ticket_id, []) if x.id > e.id), None)
            if nxt is not None and nxt.action == "sign" and (nxt.data or {}).get("on_time"):
                c["signed_on_time"] += 1
    for t in db.session.execute(
        text(
            "SELECT department_id, callback_resolved, callback_satisfaction, satisfaction_excluded FROM tickets "
            "WHERE callback_at >= :s AND callback_at < :e AND callback_satisfaction IS NOT NULL"
        ),
        {"s": p.start, "e": p.end},
    ):
        c = out.setdefault(t.department_id, Counter())
        if not t.satisfaction_excluded:
            c["rated"] += 1
            c["satisfied"] += t.callback_satisfaction in (1, 2)
    return {k: dict(v) for k, v in out.items() if k is not None}


def naive_scan(db, now: dt.datetime, cfg: dict) -> list[tuple[str, str, int]]:
    window = dt.timedelta(hours=cfg["window_hours"])
    base = dt.timedelta(days=cfg["baseline_days"])
    rows = db.session.execute(
        text("SELECT category_code, region_code, created_at FROM tickets WHERE created_at >= :s AND created_at < :e"),
        {"s": now - window - base, "e": now},
    ).all()
    cur, before = Counter(), Counter()
    for c, r, at in rows:
        (cur if at >= now - window else before)[(c, r)] += 1
    per = base / window
    hot = [
        (c, r, n) for (c, r), n in cur.items() if n >= cfg["min_count"] and n >= cfg["factor"] * before[(c, r)] / per
    ]
    return sorted(hot, key=lambda h: (-h[2], h[0], h[1]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()

    url = fresh_database(args.admin_url, DB_NAME)
    os.environ.update(DATABASE_URL=url, REDIS_URL=args.redis_url, HOTLINE_OUTBOX_RELAY_THREAD="0")
    # The app refuses to start without SECRET_KEY: a throwaway one for this run and the processes it starts.
    os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))
    from flask_migrate import upgrade

    from hotline import create_app
    from hotline.cli import seed_demo
    from hotline.extensions import db
    from hotline.reports import hotspots, kpis
    from hotline.reports.periods import month

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": args.redis_url, "OUTBOX_RELAY_THREAD": False})
    with app.app_context():
        upgrade()
        seed_demo()
        build(db, args.tickets)
        p = month(2025, 6)
        now = dt.datetime(2025, 12, 31, tzinfo=dt.UTC)
        depts = kpis.departments()

        first, kpi_ms, rows = timed(lambda: kpis.department_kpis(p, depts, now=now))
        db.session.rollback()
        _, naive_ms, naive = timed(lambda: naive_kpis(db, p), runs=2)
        db.session.rollback()
        by_id = {d.code: d.id for d in depts}
        for r in rows:  # both ways agree
            n = naive.get(by_id[r["department"]], {})
            assert (r["dispatched"], r["signed_on_time"], r["returns"], r["rated"], r["satisfied"]) == (
                n.get("dispatch", 0),
                n.get("signed_on_time", 0),
                n.get("return", 0),
                n.get("rated", 0),
                n.get("satisfied", 0),
            ), (r, n)

        scan_at = dt.datetime(2025, 6, 15, 4, tzinfo=dt.UTC)
        # a burst: 12 tickets of one category in one street in the 24 hours before the scan
        db.session.execute(text(BURST), {"at": scan_at})
        db.session.commit()
        cfg = dict(hotspots.DEFAULTS)
        scan_first, scan_ms, hot = timed(lambda: hotspots.scan(scan_at, cfg))
        db.session.rollback()
        _, naive_scan_ms, naive_hot = timed(lambda: naive_scan(db, scan_at, cfg), runs=2)
        db.session.rollback()
        assert [(h["category"], h["region"], h["count"]) for h in hot] == naive_hot
        month_dispatched = sum(r["dispatched"] for r in rows)
        window_rows = db.session.execute(
            text("SELECT count(*) FROM tickets WHERE created_at >= :s AND created_at < :e"),
            {"s": scan_at - dt.timedelta(days=15), "e": scan_at},
        ).scalar()
        db.session.rollback()

    print()
    print(
        f"reports, PostgreSQL, {args.tickets:,} tickets; month 2025-06 ({month_dispatched:,} dispatches, "
        f"{len(depts)} departments)"
    )
    print(
        f"  monthly KPI report, all departments  first {first:8.1f} ms  median {kpi_ms:8.1f} ms   target < 2000 ms "
        f"{'OK' if kpi_ms < 2000 else 'MISS'}"
    )
    print(
        f"  baseline: rows loaded into Python    {naive_ms:8.1f} ms   ({naive_ms / kpi_ms:.1f}x slower, "
        f"fewer figures; same counts)"
    )
    print(
        f"  hotspot scan (24 h vs 14 days)       first {scan_first:8.1f} ms  median {scan_ms:8.1f} ms   "
        f"target < 1000 ms {'OK' if scan_ms < 1000 else 'MISS'}  ({len(hot)} hot pairs, {window_rows:,} rows)"
    )
    print(
        f"  baseline: rows into a Counter        {naive_scan_ms:8.1f} ms   ({naive_scan_ms / scan_ms:.1f}x slower; "
        f"same pairs)"
    )
    if not args.keep:
        with app.app_context():
            db.engine.dispose()
        admin = create_engine(args.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
