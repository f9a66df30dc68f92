"""Callback survey (回访) benchmark in PostgreSQL: what the survey adds to the centre's work.

Prints, for N tickets driven to reply_review:
  (1) approve-reply per ticket with the callback scheduled (callback row + timeline event + outbox job),
      against the same action with scheduling switched off (the baseline);
  (2) the callback job's call step (lock ticket + callback, window check, attempt row, watchdog job) and the
      no-answer status callback (attempt outcome, retry planned in the window), per second, against the
      cheapest ticket action (`note`: lock, timeline event, commit) as the baseline;
  (3) the survey webhook (three TwiML requests per call, the last one recording the answers through
      record-callback): p50 / p99 per request. Twilio waits at most 15 s; the target is p99 < 50 ms.

    .venv/bin/python bench/callbacks.py [--tickets 1000] [--keep]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import statistics
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, make_url, select, text  # noqa: E402


def fresh_database(admin_url: str, name: str) -> str:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:8.1f}/s ({seconds * 1000 / n:6.2f} ms each)"


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/7")
    p.add_argument("--tickets", type=int, default=1000)
    p.add_argument("--keep", action="store_true")
    args = p.parse_args()
    n = args.tickets

    url = fresh_database(args.admin_url, "hotline_bench_callbacks")
    os.environ.update(DATABASE_URL=url, REDIS_URL=args.redis_url, HOTLINE_OUTBOX_RELAY_THREAD="0")
    # The app refuses to start without SECRET_KEY: a throwaway one for this run and the processes it starts.
    os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))
    from flask_migrate import upgrade

    from hotline import actions, create_app
    from hotline.actions import callbacks
    from hotline.cli import seed_demo
    from hotline.extensions import db
    from hotline.models import Callback, User

    inside = dt.datetime(2030, 3, 6, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(dt.UTC)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "REDIS_URL": args.redis_url,
            "OUTBOX_RELAY_THREAD": False,
            "TELEPHONY": "console",
            "CONSOLE_OUTBOX_PATH": "/dev/null",
            "CALLBACK_DIRECT_SAMPLE": 0.0,
        }
    )
    try:
        with app.app_context():
            upgrade()
            seed_demo()
            users = {u.username: u for u in db.session.scalars(select(User))}
            op, sup, dept = users["operator"], users["supervisor"], users["dept_cgj"]
            body = {
                "channel": "phone",
                "type": "complaint",
                "urgency": "normal",
                "category": "010204",
                "region": "341802001",
                "address": "澄江街道梅园路12号",
                "caller_phone": "13812345678",
                "content": "小区门口路灯连续一周不亮，晚上出行很不安全，请尽快维修。",
            }
            t0 = time.perf_counter()
            ids = []
            for _ in range(2 * n):
                ticket, _code = actions.create_ticket(actions.parse_intake(body), op)
                tid = ticket.id
                actions.dispatch_ticket(tid, op, "XC-CGJ")
                actions.sign_ticket(tid, dept)
                actions.reply_ticket(tid, dept, "已维修")
                ids.append(tid)
            print(f"setup: {2 * n} tickets to reply_review in {time.perf_counter() - t0:.1f} s")

            # (1) approve-reply with and without the callback scheduling
            baseline_ids, measured_ids = ids[:n], ids[n:]
            real = callbacks.schedule_callback
            callbacks.schedule_callback = lambda ctx, reason: None  # type: ignore[assignment]
            t0 = time.perf_counter()
            for tid in baseline_ids:
                actions.approve_reply(tid, sup)
            base = time.perf_counter() - t0
            callbacks.schedule_callback = real  # type: ignore[assignment]
            t0 = time.perf_counter()
            for tid in measured_ids:
                actions.approve_reply(tid, sup)
            measured = time.perf_counter() - t0
            print(f"approve-reply, no callback (baseline): {rate(n, base)}")
            print(f"approve-reply + callback scheduled:    {rate(n, measured)}")

            # (2) the job's steps, against the cheapest action
            t0 = time.perf_counter()
            for tid in baseline_ids:
                actions.add_note(tid, sup, "核实")
            base = time.perf_counter() - t0
            app.config["CALLBACK_CLOCK"] = lambda: inside
            cbs = list(db.session.execute(select(Callback.id, Callback.seq)).all())
            db.session.rollback()
            t0 = time.perf_counter()
            orders = [callbacks.advance(cb_id, seq) for cb_id, seq in cbs]
            step = time.perf_counter() - t0
            assert all(orders), "every callback should place a call inside the window"
            for i, order in enumerate(orders):
                callbacks.call_started(order.attempt_id, f"CA{i:032d}")
            t0 = time.perf_counter()
            for i, order in enumerate(orders):
                assert callbacks.call_outcome(order.callback_id, f"CA{i:032d}", "no-answer")
            outcome = time.perf_counter() - t0
            print(f"note action (baseline):                {rate(n, base)}")
            print(f"callback call step:                    {rate(n, step)}")
            print(f"no-answer status callback + retry:     {rate(n, outcome)}")

            # (3) the survey webhook: three requests per call; answers recorded on the last
            app.config["CALLBACK_CLOCK"] = lambda: inside + dt.timedelta(hours=4)
            orders = [
                callbacks.advance(cb_id, seq)
                for cb_id, seq in db.session.execute(select(Callback.id, Callback.seq)).all()
            ]
            db.session.rollback()
        client = app.test_client()
        timings: list[float] = []
        for i, order in enumerate(orders):
            assert order is not None
            path = f"/integrations/twilio/survey/{order.callback_id}"
            form = {"CallSid": f"CB{i:032d}"}
            for suffix, digits in (("", None), ("?q=resolved", "1"), ("?q=satisfaction&resolved=1", "2")):
                t0 = time.perf_counter()
                r = client.post(path + suffix, data={**form, **({"Digits": digits} if digits else {})})
                timings.append(time.perf_counter() - t0)
                assert r.status_code == 200
        timings.sort()
        p50 = statistics.median(timings) * 1000
        p99 = timings[int(len(timings) * 0.99) - 1] * 1000
        print(f"survey webhook: {len(timings)} requests, p50 {p50:.2f} ms, p99 {p99:.2f} ms (target p99 < 50 ms)")
        with app.app_context():
            closed = db.session.scalar(text("SELECT count(*) FROM tickets WHERE status = 'closed'"))
            print(f"closed by the survey: {closed} of {n}")
            db.session.remove()
            db.engine.dispose()
    finally:
        if not args.keep:
            admin = create_engine(args.admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text('DROP DATABASE IF EXISTS "hotline_bench_callbacks" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
