"""The outbox: written with the change, delivered after commit to Redis, kept when Redis is down."""

from __future__ import annotations

import json
import time

import pytest
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
        # the two SMS are due together: one RQ job named by its rows
        assert f"outbox-{good.id}-{good2.id}-2" in queued


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


def _sms_rows(app, phones: list[str]) -> list[int]:
    with app.app_context():
        relay_all()  # whatever earlier tests left
        for i, phone in enumerate(phones):
            outbox.add(outbox.job_row("hotline.tasks.notify.send_sms", [phone, f"批量短信{i}", None]))
        db.session.commit()
        return sorted(db.session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()).limit(len(phones))))


def _sent_bodies(app, mark: int) -> list[str]:
    from integrations.console.provider import ConsoleProvider

    with app.app_context():
        return [
            m["body"] for m in ConsoleProvider.from_config(app.config).sent(reveal=True)[mark:] if m["kind"] == "sms"
        ]


def test_private_rows_due_together_go_as_batches_of_one_rq_job_each(app, redis_url, monkeypatch):
    """Receipts due in one relay pass: one RQ job per SEALED_BATCH rows (RQ's bookkeeping per job is the
    worker's main cost per SMS), holding only row ids; every SMS is sent once."""
    from rq import SimpleWorker

    from hotline import tasks
    from integrations.console.provider import ConsoleProvider

    monkeypatch.setattr(tasks, "SEALED_BATCH", 3)
    redis = get_redis(redis_url)
    mark = len(ConsoleProvider.from_config(app.config).sent())
    ids = _sms_rows(app, [f"+861380000{i:04d}" for i in range(7)])
    with app.app_context():
        assert relay_all() == 7
    queue = Queue("default", connection=redis)
    jobs = [queue.fetch_job(j) for j in queue.job_ids]
    assert [(j.func_name, j.args) for j in jobs] == [
        ("hotline.tasks.run_sealed_batch", [ids[0:3]]),
        ("hotline.tasks.run_sealed_batch", [ids[3:6]]),
        ("hotline.tasks.run_sealed", [ids[6]]),  # a batch of one is the single job it always was
    ]
    assert all(j.retries_left == 3 for j in jobs)  # the kind's retries
    with app.app_context():
        SimpleWorker([queue], connection=redis).work(burst=True)
    assert sorted(_sent_bodies(app, mark)) == [f"批量短信{i}" for i in range(7)]


def test_a_failed_row_fails_its_batch_and_the_retry_sends_only_what_is_missing(app, redis_url, monkeypatch):
    """One refused SMS does not stop the rest of its batch; RQ retries the batch, and only the refused one is
    sent again."""
    from rq import SimpleWorker

    from hotline.tasks import BatchFailed, run_sealed_batch
    from integrations.console.provider import ConsoleProvider

    redis = get_redis(redis_url)
    mark = len(ConsoleProvider.from_config(app.config).sent())
    ids = _sms_rows(app, ["+8613900000011", "+8613900000012", "+8613900000013"])
    real = ConsoleProvider.send_sms
    refuse = {"+8613900000012"}

    def flaky(self, to, body, ticket_id=None):
        if to in refuse:
            raise RuntimeError(f"provider refused {to}")
        return real(self, to, body, ticket_id)

    monkeypatch.setattr(ConsoleProvider, "send_sms", flaky)
    with app.app_context():
        relay_all()
    queue = Queue("default", connection=redis)
    [job_id] = queue.job_ids
    with app.app_context():
        SimpleWorker([queue], connection=redis).work(burst=True)
    assert sorted(_sent_bodies(app, mark)) == ["批量短信0", "批量短信2"]
    job = queue.fetch_job(job_id)
    assert job.retries_left == 2  # failed once, waiting in the scheduler for its retry
    with app.app_context(), pytest.raises(BatchFailed) as failed:
        run_sealed_batch(ids)  # as the retry would, while the provider still refuses
    assert "1 of 3 rows failed" in str(failed.value) and "13900000012" not in str(failed.value)  # masked for RQ
    refuse.clear()
    with app.app_context():
        # the retry as the scheduler would run it: the same job, the same rows
        run_sealed_batch(ids)
        run_sealed_batch(ids)  # and once more: nothing is sent twice
    assert sorted(_sent_bodies(app, mark)) == ["批量短信0", "批量短信1", "批量短信2"]


def test_a_batch_drops_the_notices_of_numbers_on_the_do_not_call_list(app, redis_url):
    """A receipt (sent unless opted out) to a number that replied TD is dropped at send time; a message the
    caller asked for still goes, and so do the others of the batch."""
    from rq import SimpleWorker

    from hotline.models import Caller
    from integrations.console.provider import ConsoleProvider

    redis = get_redis(redis_url)
    mark = len(ConsoleProvider.from_config(app.config).sent())
    with app.app_context():
        relay_all()
        db.session.add(Caller(phone="+8613700000021", do_not_call=True))
        for phone, body, unless in [
            ("+8613700000021", "回执", True),
            ("+8613700000021", "新的提取码", False),
            ("+8613700000022", "回执二", True),
        ]:
            outbox.add(outbox.job_row("hotline.tasks.notify.send_sms", [phone, body, None, unless]))
        db.session.commit()
        assert relay_all() == 3
        queue = Queue("default", connection=redis)
        assert [queue.fetch_job(j).func_name for j in queue.job_ids] == ["hotline.tasks.run_sealed_batch"]
        SimpleWorker([queue], connection=redis).work(burst=True)
    assert sorted(_sent_bodies(app, mark)) == ["回执二", "新的提取码"]
