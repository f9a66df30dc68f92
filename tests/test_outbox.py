"""The outbox: written with the change, delivered after commit to Redis, kept when Redis is down."""

from __future__ import annotations

import json
import time

from rq import Queue
from sqlalchemy import func, select

from hotline import outbox
from hotline.extensions import db, get_redis
from hotline.models import OutboxMessage
from hotline.outbox import relay_all
from tests.conftest import new_ticket_body


def pending(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.delivered_at.is_(None))
        )


def test_relay_publishes_socket_events_and_enqueues_jobs(app, api, make_ticket, redis_url):
    redis = get_redis(redis_url)
    pubsub = redis.pubsub()
    pubsub.subscribe(app.config["SOCKETIO_CHANNEL"])
    pubsub.get_message(timeout=1)  # the subscribe confirmation
    t = make_ticket("dispatched")
    with app.app_context():
        delivered = relay_all()
    assert delivered >= 4 and pending(app) == 0
    published = []
    deadline = time.time() + 3
    while time.time() < deadline:
        msg = pubsub.get_message(timeout=0.2)
        if msg and msg["type"] == "message":
            published.append(json.loads(msg["data"]))
    # one publish per event, addressed to all its rooms at once
    # (other test runs on this machine may publish on the same channel: keep this ticket's events)
    mine = [m for m in published if m.get("method") == "emit" and m["data"][0].get("id") == t["id"]]
    rooms = {(m["data"][0]["op"], room) for m in mine for room in m["room"]}
    assert ("created", "operators") in rooms
    assert ("updated", "dept:XC-CGJ") in rooms
    assert ("updated", f"ticket:{t['id']}") in rooms
    assert not any(room == "dept:XC-STHJJ" for _, room in rooms)
    scheduled = Queue("high", connection=redis).scheduled_job_registry.get_job_ids()
    assert len(scheduled) == 2  # the warning and due checks of the sign clock
    pubsub.close()


def test_with_redis_down_actions_succeed_and_rows_wait(app, api, redis_url):
    good = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    try:
        r = api.as_("operator").post("/tickets", new_ticket_body(channel="web"))
        assert r.status_code == 201
        t = r.get_json()
        assert api.as_("operator").act(t["id"], "dispatch", {"department": "XC-CGJ"}).status_code == 200
        with app.app_context():
            assert relay_all() == 0
            row = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).first()
            assert row.attempts == 1 and row.last_error and row.delivered_at is None
    finally:
        app.config["REDIS_URL"] = good
    waiting = pending(app)
    assert waiting >= 4  # created event, SMS receipt, dispatch event, deadline jobs
    with app.app_context():
        db.session.execute(OutboxMessage.__table__.update().values(next_attempt_at=func.now()))
        db.session.commit()
        assert relay_all() == waiting
    assert pending(app) == 0


def test_jobs_run_twice_act_once(app, api, redis_url):
    """An SMS job delivered twice by the relay (same row, same job id) sends one message."""
    from rq import SimpleWorker

    from integrations.console.provider import ConsoleProvider

    api.as_("operator").post("/tickets", new_ticket_body(channel="web"))
    with app.app_context():
        row = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "job")).one()
        from hotline.tasks import enqueue_payload

        redis = get_redis(redis_url)
        payload = {"job_id": f"outbox-{row.id}", "outbox_id": row.id, **row.payload}
        for _ in range(2):  # as if the relay crashed after enqueueing and delivered the row again
            enqueue_payload(redis, payload)
            SimpleWorker([Queue("default", connection=redis)], connection=redis).work(burst=True)
        # the console log is the run's: this SMS is the one with this body (its code is random)
        body = outbox.job_args(row.payload)[1]
        sent = [m for m in ConsoleProvider.from_config(app.config).sent(reveal=True) if m.get("body") == body]
    assert len(sent) == 1 and "提取码" in sent[0]["body"]


def test_a_bad_job_row_waits_alone_while_the_others_go_out(app, redis_url):
    """The jobs of a pass go out in one Redis pipeline; a row that cannot be enqueued keeps its error and backs
    off without holding back the rows around it."""

    with app.app_context():
        relay_all()  # whatever earlier tests left
        outbox.add(outbox.job_row("hotline.tasks.notify.send_sms", ["+8613800000001", "一", None]))
        outbox.add(outbox.job_row("os.system", ["true"]))  # not a job
        outbox.add(outbox.job_row("hotline.tasks.notify.send_sms", ["+8613800000002", "二", None]))
        db.session.commit()
        ids = [m.id for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(3))]
        assert relay_all() == 2
        rows = {m.id: m for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)))}
        good, bad, good2 = (rows[i] for i in sorted(ids))
        assert good.delivered_at is not None and good2.delivered_at is not None
        assert bad.delivered_at is None and bad.attempts == 1 and "not a job" in bad.last_error
        queued = set(Queue("default", connection=get_redis(redis_url)).job_ids) | set(
            Queue("high", connection=get_redis(redis_url)).job_ids
        )
        assert {f"outbox-{good.id}", f"outbox-{good2.id}"} <= queued


def test_delivered_rows_older_than_the_retention_are_purged_by_the_periodic_job(app, redis_url):
    """Rows delivered more than 7 days ago go; recent and pending (even old pending) rows stay."""
    import datetime as dt

    from rq import SimpleWorker

    from hotline.models.base import utcnow
    from hotline.tasks.schedule import SCHEDULE, enqueue_due

    assert "hotline.tasks.maintenance.purge_outbox" in {p.func for p in SCHEDULE}
    now = utcnow()
    with app.app_context():
        old = now - dt.timedelta(days=8)
        rows = [
            OutboxMessage(kind="job", payload={"n": "old"}, created_at=old, next_attempt_at=old, delivered_at=old),
            OutboxMessage(
                kind="job",
                payload={"n": "recent"},
                created_at=now - dt.timedelta(days=6),
                next_attempt_at=now,
                delivered_at=now - dt.timedelta(days=6),
            ),
            OutboxMessage(
                kind="job", payload={"n": "pending"}, created_at=old, next_attempt_at=now + dt.timedelta(hours=1)
            ),
        ]
        db.session.add_all(rows)
        db.session.commit()
        redis = get_redis(redis_url)
        enqueue_due(redis, reconcile=True)
        SimpleWorker([Queue("low", connection=redis)], connection=redis).work(burst=True)
        left = sorted(p["n"] for p in db.session.scalars(select(OutboxMessage.payload)))
    assert left == ["pending", "recent"]


def test_retention_is_configurable(app):
    import datetime as dt

    from hotline.models.base import utcnow
    from hotline.outbox import purge_delivered

    now = utcnow()
    with app.app_context():
        db.session.add(
            OutboxMessage(
                kind="job", payload={}, created_at=now, next_attempt_at=now, delivered_at=now - dt.timedelta(days=2)
            )
        )
        db.session.commit()
        assert purge_delivered(dt.timedelta(days=3)) == 0
        assert purge_delivered(dt.timedelta(days=1)) == 1
