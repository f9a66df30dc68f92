"""Demo history benchmark: `seed-demo --history DAYS` on a fresh PostgreSQL database (issue 21's target: 30 days,
about 4,500 tickets, in under 60 s).

Prints the replay's time, tickets a second, the statements it sent per ticket and where they went, and, as the
same-run baseline, the same machine's speed at the five commonest actions of a ticket's life (intake, dispatch,
sign, reply, approve-reply) called one after the other, each in its own committed transaction: what the
replay would cost if it did nothing but those, so a slow minute on a shared machine shows in both figures.

    .venv/bin/python bench/demo_history.py [--days 30] [--workers N] [--baseline 100] [--keep]
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import os
import resource
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This directory is not a package of modules to import (a script here named like a standard module would shadow it).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, event, make_url, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402


def fresh_database(admin_url: str, name: str) -> str:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def cpu() -> float:
    self, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return self.ru_utime + self.ru_stime + children.ru_utime + children.ru_stime


def server_cpu(url: str) -> float | None:
    """CPU seconds used so far by the PostgreSQL server of `url` (its postmaster, the backends alive now and those
    that have ended, which the postmaster has reaped); None when its processes cannot be read (another machine)."""
    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            pid = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
            postmaster = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        engine.dispose()
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ppid, this = int(fields[1]), int(stat.parent.name)
            if this == postmaster:
                total += sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
            elif ppid == postmaster:
                total += int(fields[11]) + int(fields[12])
        return total / tick
    except (OSError, ValueError, IndexError):
        return None


def baseline(n: int) -> float:
    """Seconds per ticket for intake, dispatch, sign, reply and approve-reply, each committed."""
    from sqlalchemy import select

    from hotline import actions
    from hotline.extensions import db
    from hotline.models import User

    users = {u.username: u for u in db.session.scalars(select(User))}
    op, sup, dept = users["operator"], users["supervisor"], users["dept_cgj"]
    data = actions.IntakeData(
        channel="phone",
        type="complaint",
        urgency="normal",
        content="小区门口路灯不亮，请尽快维修。",
        caller_phone="+8613800000000",
        category_code="010204",
        region_code="341802",
    )
    start = time.perf_counter()
    for _ in range(n):
        ticket, _code = actions.create_ticket(data, op)
        actions.dispatch_ticket(ticket.id, op, "XC-CGJ")
        actions.sign_ticket(ticket.id, dept)
        actions.reply_ticket(ticket.id, dept, "已修复。")
        actions.approve_reply(ticket.id, sup)
    return (time.perf_counter() - start) / n


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--baseline", type=int, default=100, help="tickets through the five actions (0: none)")
    p.add_argument("--keep", action="store_true")
    p.add_argument("--end", default=None, help="the history's end (ISO 8601 with a zone); default now")
    p.add_argument("--per-day", type=int, default=None)
    p.add_argument("--profile", default=None, help="cProfile the replay (one process) into this file")
    args = p.parse_args()

    name = f"hotline_bench_demo_{os.getpid()}"
    url = fresh_database(args.admin_url, name)
    os.environ.update(DATABASE_URL=url, REDIS_URL=args.redis_url, HOTLINE_OUTBOX_RELAY_THREAD="0")
    # The app refuses to start without SECRET_KEY: a throwaway one for this run and the processes it starts.
    os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))
    from flask_migrate import upgrade

    from hotline import create_app
    from hotline.cli import seed_demo
    from hotline.demo.history import default_workers, seed_history
    from hotline.extensions import db

    statements: collections.Counter = collections.Counter()

    @event.listens_for(Engine, "before_cursor_execute")
    def count(_conn, _cursor, statement, _params, _context, _many):
        words = statement.split(None, 3)
        statements[" ".join(words[:3])[:40]] += 1

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": args.redis_url, "OUTBOX_RELAY_THREAD": False})
    workers = args.workers or default_workers()
    with app.app_context():
        upgrade()
        seed_demo()
        db.session.remove()
        statements.clear()
        cpu0, pg0, t0 = cpu(), server_cpu(url), time.perf_counter()
        kwargs = {"workers": workers}
        if args.end:
            kwargs["end"] = dt.datetime.fromisoformat(args.end)
        if args.per_day:
            kwargs["per_day"] = args.per_day
        if args.profile:
            import cProfile

            profiler = cProfile.Profile(time.process_time)  # CPU, not waits on a loaded machine
            summary = profiler.runcall(seed_history, args.days, **kwargs)
            profiler.dump_stats(args.profile)
        else:
            summary = seed_history(args.days, **kwargs)
        wall, used, pg1 = time.perf_counter() - t0, cpu() - cpu0, server_cpu(url)
        server = f"{pg1 - pg0:.1f} s" if pg0 is not None and pg1 is not None else "(not readable)"
        print(f"history: {summary.line()}, {workers} process(es)")
        print(
            f"  {wall:.1f} s wall, {summary.tickets / wall:.0f} tickets/s;"
            f" CPU: this process and its children {used:.1f} s, the PostgreSQL server {server}"
        )
        if workers == 1:
            total = sum(statements.values())
            print(f"  {total} statements, {total / max(summary.tickets, 1):.0f} per ticket; most sent:")
            for stmt, n in statements.most_common(8):
                print(f"    {n:7d}  {stmt}")
        from hotline.workflow import OPEN

        still_open = sum(n for s, n in summary.statuses.items() if s in OPEN)
        print(f"  open {still_open}, by status {dict(summary.statuses.most_common())}")
        if summary.skipped_steps:
            print(f"  steps the rules refused: {dict(summary.skipped_steps)}")
        if args.baseline:
            db.session.remove()
            per = baseline(args.baseline)
            print(
                f"baseline (same run): intake+dispatch+sign+reply+approve, each committed: {per * 1000:.0f} ms a ticket"
                f" -> {per * summary.tickets:.0f} s for {summary.tickets} tickets at that rate"
            )
        db.session.remove()
        db.engine.dispose()
    if not args.keep:
        admin = create_engine(args.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
