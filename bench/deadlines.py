"""Deadline sweep benchmark: 1,000,000 open tickets in PostgreSQL.

Prints (1) the time of one sweep when nothing is due (target < 200 ms) and (2) the time for one
worker to mark 10,000 tickets that fall due at once (target < 10 s), plus the outbox relay time for
what that produced. Baseline in the same run: a sequential scan over the open tickets, i.e. what a
sweep without the partial indexes would read.

    .venv/bin/python bench/deadlines.py [--tickets 1000000] [--due 10000] [--keep]
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, make_url, text  # noqa: E402


def fresh_database(admin_url: str, name: str) -> str:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    p.add_argument("--tickets", type=int, default=1_000_000)
    p.add_argument("--due", type=int, default=10_000)
    p.add_argument("--keep", action="store_true")
    args = p.parse_args()

    url = fresh_database(args.admin_url, "hotline_bench_deadlines")
    os.environ.update(DATABASE_URL=url, REDIS_URL=args.redis_url, HOTLINE_OUTBOX_RELAY_THREAD="0")
    # The app refuses to start without SECRET_KEY: a throwaway one for this run and the processes it starts.
    os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))
    from flask_migrate import upgrade

    from hotline import create_app
    from hotline.actions.deadlines import sweep_due
    from hotline.cli import seed_demo
    from hotline.extensions import db, get_redis
    from hotline.outbox import relay_all

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": args.redis_url, "OUTBOX_RELAY_THREAD": False})
    with app.app_context():
        upgrade()
        seed_demo()
        get_redis().flushdb()
        t0 = time.perf_counter()
        # 1M open tickets spread over dispatched and in_progress, with planned instants in the future.
        db.session.execute(
            text("""
            INSERT INTO tickets (number, retrieval_code_hash, channel, type, urgency, status, content,
                publishable, confidential, department_id, dispatch_rounds, designated, dispatched_at,
                sign_due_at, sign_warn_at, signed_at, due_at, warn_at, notice_at, reopen_count,
                satisfaction_excluded, created_at, updated_at)
            SELECT 'XB' || lpad(g::text, 13, '0'), md5(g::text) || md5(g::text), 'phone', 'complaint', 'normal',
                   CASE WHEN g % 4 = 0 THEN 'dispatched' ELSE 'in_progress' END,
                   '路灯不亮，请尽快维修 #' || g, false, false, (SELECT min(id) FROM departments) + g % 40,
                   1, false, now() - interval '1 hour',
                   now() + interval '1 day' + (g % 1000) * interval '1 minute',
                   now() + interval '20 hours' + (g % 1000) * interval '1 minute',
                   CASE WHEN g % 4 = 0 THEN NULL ELSE now() - interval '30 minutes' END,
                   CASE WHEN g % 4 = 0 THEN NULL ELSE now() + interval '5 days' + (g % 5000) * interval '1 minute' END,
                   CASE WHEN g % 4 = 0 THEN NULL ELSE now() + interval '4 days' + (g % 5000) * interval '1 minute' END,
                   CASE WHEN g % 4 = 0 THEN NULL ELSE now() + interval '12 days' END,
                   0, false, now() - interval '2 hours', now()
            FROM generate_series(1, :n) AS g
        """),
            {"n": args.tickets},
        )
        db.session.commit()
        db.session.execute(text("ANALYZE tickets"))
        db.session.commit()
        print(f"built {args.tickets:,} open tickets in {time.perf_counter() - t0:.1f} s")

        # Baseline: what reading every open ticket costs (a sweep without partial indexes).
        t0 = time.perf_counter()
        db.session.execute(
            text(
                "SELECT count(*) FROM tickets WHERE status IN ('dispatched','in_progress','reopened') "
                "AND (due_at <= now() OR sign_due_at <= now())"
            )
        ).scalar()
        db.session.rollback()
        baseline_ms = (time.perf_counter() - t0) * 1000

        idle = []
        for _ in range(7):
            t0 = time.perf_counter()
            marked = sweep_due()
            idle.append((time.perf_counter() - t0) * 1000)
            assert marked == 0
        idle_ms = statistics.median(idle)

        # 10,000 in-progress tickets fall due at once.
        db.session.execute(
            text("""
            UPDATE tickets SET due_at = now() - interval '1 second', warn_at = now() - interval '2 seconds'
            WHERE id IN (SELECT id FROM tickets WHERE status = 'in_progress' ORDER BY id LIMIT :n)
        """),
            {"n": args.due},
        )
        db.session.commit()
        t0 = time.perf_counter()
        marked = sweep_due()
        due_s = time.perf_counter() - t0
        overdue = db.session.execute(text("SELECT count(*) FROM tickets WHERE overdue_at IS NOT NULL")).scalar()
        events = db.session.execute(text("SELECT count(*) FROM timeline_events")).scalar()
        db.session.rollback()
        t0 = time.perf_counter()
        delivered = relay_all(limit=1000, rounds=10_000)
        relay_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = sweep_due()
        again_ms = (time.perf_counter() - t0) * 1000

    print()
    print("deadline sweep, PostgreSQL, one worker process (2-core machine)")
    print(f"  open tickets                        {args.tickets:>12,}")
    print(f"  baseline: scan of open tickets      {baseline_ms:>10.1f} ms")
    print(
        f"  sweep, nothing due (median of 7)    {idle_ms:>10.1f} ms   target < 200 ms  "
        f"{'OK' if idle_ms < 200 else 'MISS'}"
    )
    print(
        f"  {args.due:,} due at once: marked          {due_s:>10.2f} s    target < 10 s    "
        f"{'OK' if due_s < 10 and overdue == args.due else 'MISS'}  "
        f"({marked:,} marks, {overdue:,} overdue, {events:,} events, {marked / due_s:,.0f} marks/s)"
    )
    print(f"  outbox relay of what it produced    {relay_s:>10.2f} s    ({delivered:,} messages to Redis)")
    print(f"  sweep right after (nothing new)     {again_ms:>10.1f} ms   ({again} marks)")
    if not args.keep:
        app_engine = create_engine(args.admin_url, isolation_level="AUTOCOMMIT")
        with app.app_context():
            db.engine.dispose()
        with app_engine.connect() as conn:
            conn.execute(text('DROP DATABASE IF EXISTS "hotline_bench_deadlines" WITH (FORCE)'))


if __name__ == "__main__":
    main()
