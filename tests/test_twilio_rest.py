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
