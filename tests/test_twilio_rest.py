"""Outbound SMS and calls reach Twilio's REST API (a local stand-in) from a worker, once per job."""

from __future__ import annotations

from rq import Queue, SimpleWorker
from sqlalchemy import update

from hotline import outbox
from hotline.extensions import db, get_redis
from hotline.models import OutboxMessage
from hotline.outbox import relay_all
from tests.twilio_support import ACCOUNT_SID, FakeTwilioApi, twilio_config


def _run_worker(redis) -> None:
    SimpleWorker([Queue(q, connection=redis) for q in ("high", "default", "low")], connection=redis).work(burst=True)


def test_outbound_sms_and_call_go_to_the_rest_api_once(app, redis_url):
    with FakeTwilioApi() as fake:
        old = twilio_config(app, fake.base)
        try:
            with app.app_context():
                outbox.add_sms("+8613812345678", "【12345】测试短信", None)
                outbox.add_job(
                    "hotline.tasks.notify.place_call",
                    ["+8613812345678", "https://hotline.example/cb", "https://hotline.example/st", None, "callback"],
                )
                db.session.commit()
                assert relay_all() == 2
                redis = get_redis(redis_url)
                _run_worker(redis)
                # the same jobs delivered again (a relay that crashed before marking them) send nothing more
                db.session.execute(update(OutboxMessage).values(delivered_at=None))
                db.session.commit()
                assert relay_all() == 2
                _run_worker(redis)
        finally:
            app.config.update(old)
    sms = [r for r in fake.requests if r["path"].endswith("/Messages.json")]
    calls = [r for r in fake.requests if r["path"].endswith("/Calls.json")]
    assert len(sms) == 1 and len(calls) == 1
    assert sms[0]["path"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert sms[0]["user"] == ACCOUNT_SID
    assert sms[0]["form"] == {"To": "+8613812345678", "From": "+8656312345", "Body": "【12345】测试短信"}
    assert calls[0]["form"]["To"] == "+8613812345678"
    assert calls[0]["form"]["Url"] == "https://hotline.example/cb"
    assert calls[0]["form"]["StatusCallback"] == "https://hotline.example/st"
    assert set(calls[0]["form"]["StatusCallbackEvent"]) == {"initiated", "ringing", "answered", "completed"}


def _run_retries(redis) -> None:
    """Run the queue, then each retry RQ scheduled, at once (the worker's scheduler would wait the back-off)."""
    from rq.registry import ScheduledJobRegistry

    _run_worker(redis)
    for _ in range(5):
        registry = ScheduledJobRegistry(queue=Queue("default", connection=redis))
        ids = registry.get_job_ids()
        if not ids:
            return
        for job_id in ids:
            registry.requeue(job_id)
        _run_worker(redis)


def test_failed_sms_and_call_are_retried_then_on_the_timeline(app, redis_url, make_ticket, api):
    """Twilio answering 500: each send is tried 4 times (RQ Retry), then the failure is on the ticket's timeline."""
    from rq.registry import FailedJobRegistry

    ticket = make_ticket("accepted", caller_phone="0563-2345678")  # a landline: no receipt, only the sends below
    with FakeTwilioApi(fail_status=500) as fake:
        old = twilio_config(app, fake.base)
        try:
            with app.app_context():
                relay_all()  # what the intake wrote
                outbox.add_sms("+8613812345678", "【12345】测试短信", ticket["id"])
                outbox.add_job(
                    "hotline.tasks.notify.place_call",
                    ["+8613812345678", "https://hotline.example/cb", None, ticket["id"], "callback"],
                )
                db.session.commit()
                assert relay_all() == 2
                redis = get_redis(redis_url)
                _run_retries(redis)
                assert len(FailedJobRegistry(queue=Queue("default", connection=redis))) == 2
        finally:
            app.config.update(old)
    assert len([r for r in fake.requests if r["path"].endswith("/Messages.json")]) == 4
    assert len([r for r in fake.requests if r["path"].endswith("/Calls.json")]) == 4
    timeline = api.as_("supervisor").get(f"/tickets/{ticket['id']}").get_json()["timeline"]
    failures = [e for e in timeline if e["action"] == "send-failed"]
    assert len(failures) == 2, timeline  # one per message, after its last attempt only
    assert {f["actor"] for f in failures} == {"system"}


def test_twilio_client_gives_up_on_a_silent_server(app):
    """A REST request that gets no answer fails after the client's timeout; it does not hang the worker."""
    import socket
    import threading

    from integrations.twilio.client import TwilioClient

    outcome: list[str] = []

    def send(base: str) -> None:
        config = {
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": "x" * 32,
            "TWILIO_API_BASE": base,
            "TWILIO_TIMEOUT_SECONDS": 1,
        }
        try:
            TwilioClient.from_config(config).send_sms("+8613812345678", "hello")
            outcome.append("answered")
        except Exception as exc:  # noqa: BLE001 - the kind of error is requests'; that it ends is the point
            outcome.append(type(exc).__name__)

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)  # the kernel accepts connections; nobody ever answers
        sender = threading.Thread(target=send, args=(f"http://127.0.0.1:{silent.getsockname()[1]}",), daemon=True)
        sender.start()
        sender.join(timeout=8)
        assert not sender.is_alive(), "the REST request hung"
    assert outcome and outcome[0] != "answered"
