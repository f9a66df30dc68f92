"""Personal data on its way out (issue 14): RQ job arguments, outbox payloads and the console provider's log never
hold a retrieval code or a phone number in clear; the citizen still gets the real code (console and Twilio)."""

from __future__ import annotations

import json
import re

from rq import Queue, SimpleWorker
from rq.job import Job
from sqlalchemy import select

from hotline.extensions import db, get_redis
from hotline.models import OutboxMessage
from hotline.outbox import relay_all
from hotline.tasks import QUEUES
from tests.conftest import new_ticket_body
from tests.twilio_support import FakeTwilioApi, twilio_config

PHONE = "13812345678"


def _intake(api) -> tuple[dict, str]:
    t = api.as_("operator").post("/tickets", new_ticket_body(channel="phone", caller_phone=PHONE)).get_json()
    return t, t["retrieval_code"]


def _secrets_absent(text: str, code: str) -> None:
    assert PHONE not in text and code not in text, text[:2000]


def _queued_jobs(redis) -> list[Job]:
    return [Job.fetch(i, connection=redis) for q in QUEUES for i in Queue(q, connection=redis).job_ids]


def _run_worker(redis) -> None:
    SimpleWorker([Queue(q, connection=redis) for q in QUEUES], connection=redis).work(burst=True)


def test_receipt_code_and_phone_are_never_in_clear_on_the_way_and_the_citizen_gets_the_code(
    app, api, client, redis_url
):
    from integrations.console.provider import ConsoleProvider

    console = ConsoleProvider.from_config(app.config)
    mark = len(console.sent())
    t, code = _intake(api)
    with app.app_context():
        payloads = [m.payload for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "job"))]
        assert payloads
        _secrets_absent(json.dumps(payloads, ensure_ascii=False), code)  # the outbox table
        relay_all()
        redis = get_redis(redis_url)
        jobs = _queued_jobs(redis)
        sms = [j for j in jobs if j.func_name == "hotline.tasks.run_sealed"]
        assert sms and all(len(j.args) == 1 and isinstance(j.args[0], int) for j in sms)  # an outbox row id
        for job in jobs:  # what RQ keeps in Redis and what a worker would log
            _secrets_absent(repr(job.args) + repr(job.kwargs) + job.get_call_string(), code)
        _run_worker(redis)
    raw = console.path.read_text(encoding="utf-8").splitlines()[mark:]
    assert raw
    _secrets_absent("\n".join(raw), code)  # the console provider's log on disk
    [stored] = [r for r in console.sent()[mark:] if r["kind"] == "sms" and r["ticket_id"] == t["id"]]
    assert stored["to"] == "138****5678" and "提取码******" in stored["body"] and t["number"] in stored["body"]

    # what the citizen's phone reads: the real code, which opens the ticket
    with app.app_context():
        [real] = [r for r in console.sent(reveal=True)[mark:] if r["kind"] == "sms" and r["ticket_id"] == t["id"]]
    assert real["to"] == "+86" + PHONE and f"提取码{code}" in real["body"]
    r = client.get(f"/api/v1/public/tickets/{t['number']}?code={code}")
    assert r.status_code == 200

    # the simulator's outbox view (supervisors, admins) shows the masked record
    from tests.test_consoles_api import login

    login(client, "supervisor")
    shown = client.get("/integrations/console/outbox.json").get_json()
    _secrets_absent(json.dumps(shown, ensure_ascii=False), code)
    assert any(m.get("body") == stored["body"] for m in shown)


def test_a_resent_code_reaches_twilio_in_full_and_rq_holds_only_the_row_id(app, api, client, redis_url):
    """Twilio's REST API (a local stand-in on TWILIO_API_BASE) receives the real number and code."""
    t, _ = _intake(api)
    with app.app_context():
        relay_all()  # the receipt: not this test's subject
        _run_worker(get_redis(redis_url))
    with FakeTwilioApi() as fake:
        old = twilio_config(app, fake.base)
        try:
            r = client.post(f"/api/v1/public/tickets/{t['number']}/code", json={"phone": PHONE})
            assert r.status_code == 202
            with app.app_context():
                relay_all()
                redis = get_redis(redis_url)
                jobs = _queued_jobs(redis)
                assert [j.func_name for j in jobs] == ["hotline.tasks.run_sealed"]
                assert PHONE not in repr(jobs[0].args)
                _run_worker(redis)
        finally:
            app.config.update(old)
    [sms] = [r["form"] for r in fake.requests if r["path"].endswith("/Messages.json")]
    assert sms["To"] == "+86" + PHONE
    code = re.search(r"新的提取码为(\d{6})", sms["Body"]).group(1)
    assert client.get(f"/api/v1/public/tickets/{t['number']}?code={code}").status_code == 200


def test_a_private_job_written_in_clear_is_sealed_by_the_relay(app, redis_url):
    """A row with an SMS's arguments in clear (written before sealing, or by hand) is sealed in place before RQ
    sees it, and still sent."""
    from integrations.console.provider import ConsoleProvider

    with app.app_context():
        relay_all()
        row = OutboxMessage(
            kind="job", payload={"func": "hotline.tasks.notify.send_sms", "args": ["+86" + PHONE, "提取码654321", None]}
        )
        db.session.add(row)
        db.session.commit()
        assert relay_all() == 1
        db.session.refresh(row)
        assert row.delivered_at is not None and "args" not in row.payload
        _secrets_absent(json.dumps(row.payload), "654321")
        redis = get_redis(redis_url)
        assert all(PHONE not in repr(j.args) for j in _queued_jobs(redis))
        _run_worker(redis)
        sent = ConsoleProvider.from_config(app.config).sent(reveal=True)
    assert sent[-1]["to"] == "+86" + PHONE and sent[-1]["body"] == "提取码654321"


def test_a_failed_send_keeps_only_a_masked_error(app, api, redis_url):
    """Twilio's error may quote the number: the timeline and RQ's failed job keep it masked."""
    from rq.registry import FailedJobRegistry

    from hotline import outbox
    from hotline.tasks import notify

    t, _ = _intake(api)

    class Quoting:
        def send_sms(self, to, body, ticket_id=None):
            raise RuntimeError(f"The 'To' number {to} is not valid; body {body}")

    from integrations import telephony

    with app.app_context():
        redis = get_redis(redis_url)
        relay_all()
        _run_worker(redis)
        outbox.add_sms("+86" + PHONE, "【12345】提取码123456", t["id"])
        db.session.commit()
        real, telephony.provider = telephony.provider, lambda: Quoting()
        old_retry, notify.send_sms.retry = notify.send_sms.retry, None  # the first failure is the last
        try:
            relay_all()
            _run_worker(redis)
        finally:
            telephony.provider = real
            notify.send_sms.retry = old_retry
        failed = [
            Job.fetch(i, connection=redis)
            for i in FailedJobRegistry(queue=Queue("default", connection=redis)).get_job_ids()
        ]
        assert failed
        for job in failed:
            error = job.latest_result().exc_string
            assert "not valid" in error and PHONE not in error and "123456" not in error
    timeline = api.as_("supervisor").get(f"/tickets/{t['id']}").get_json()["timeline"]
    [failure] = [e for e in timeline if e["action"] == "send-failed"]
    assert PHONE not in json.dumps(failure) and "123456" not in json.dumps(failure)
