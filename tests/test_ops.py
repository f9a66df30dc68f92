"""GET /healthz, /readyz and /metrics (hotline.ops, hotline.health, hotline.metrics)."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from rq import Queue
from rq.registry import FailedJobRegistry

from hotline import health
from hotline.extensions import db, get_redis
from hotline.models import OutboxMessage
from hotline.models.base import utcnow
from tests.conftest import Api

TICKET = {
    "channel": "phone",
    "type": "complaint",
    "category": "010204",
    "region": "341802001",
    "address": "澄江街道梅园路12号",
    "content": "小区门口路灯连续一周不亮",
    "caller_phone": "13812345678",
}


@pytest.fixture
def worker_alive(app):
    with app.app_context():
        health.beat(get_redis())


def test_healthz_answers_without_touching_anything(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nothing answers there
    r = client.get("/healthz")
    assert r.status_code == 200 and r.get_json() == {"status": "ok"}


def test_readyz_ready_with_every_check(client, worker_alive):
    r = client.get("/readyz")
    body = r.get_json()
    assert r.status_code == 200, body
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "redis", "worker", "outbox", "calendar"}
    assert all(c["ok"] for c in body["checks"].values())
    assert body["checks"]["worker"]["age_seconds"] < 5
    assert body["checks"]["outbox"]["backlog"] == 0 and body["checks"]["outbox"]["oldest_undelivered"] is None


def test_readyz_503_without_a_worker_heartbeat(client):
    r = client.get("/readyz")
    assert r.status_code == 503
    assert r.get_json()["checks"]["worker"] == {
        "ok": False,
        "error": "no worker has written a heartbeat",
        "max_age_seconds": 60,
        "ms": r.get_json()["checks"]["worker"]["ms"],
    }


def test_readyz_503_on_a_stale_heartbeat(app, client):
    with app.app_context():
        health.beat(get_redis(), now=time.time() - 61)
    check = client.get("/readyz").get_json()["checks"]["worker"]
    assert check["ok"] is False and check["age_seconds"] >= 61


def test_readyz_503_when_redis_is_down(app, client, worker_alive, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    r = client.get("/readyz")
    assert r.status_code == 503
    checks = r.get_json()["checks"]
    assert checks["redis"]["ok"] is False and "ConnectionError" in checks["redis"]["error"]
    assert checks["worker"]["ok"] is False
    assert checks["database"]["ok"] is True


def test_readyz_reports_the_outbox_backlog_and_fails_on_an_old_row(app, client, worker_alive):
    with app.app_context():
        old = utcnow() - dt.timedelta(seconds=400)
        db.session.add(OutboxMessage(kind="socket", payload={"event": {}, "rooms": []}, created_at=old))
        db.session.add(OutboxMessage(kind="socket", payload={"event": {}, "rooms": []}))
        db.session.add(OutboxMessage(kind="socket", payload={}, delivered_at=utcnow(), created_at=old))
        db.session.commit()
    r = client.get("/readyz")
    outbox = r.get_json()["checks"]["outbox"]
    assert r.status_code == 503
    assert outbox["backlog"] == 2 and outbox["ok"] is False and outbox["oldest_age_seconds"] >= 400
    assert outbox["oldest_undelivered"].startswith(old.isoformat()[:19])


def test_calendar_check_needs_the_current_year_official():
    this_year = health.check_calendar(dt.date(2025, 6, 1))
    assert this_year == {"ok": True, "years": {"2025": "official", "2026": "official"}}
    december = health.check_calendar(dt.date(2026, 12, 4))
    assert december["ok"] is True and december["years"] == {"2026": "official", "2027": "provisional"}
    assert "2027" in december["warning"]
    assert health.check_calendar(dt.date(2031, 3, 1))["ok"] is False


def test_metrics_counts_requests_tickets_actions_and_reads_the_queues(app, client, worker_alive):
    api = Api(app, client).as_("operator")
    created = api.post("/tickets", TICKET)
    assert created.status_code == 201, created.get_json()
    assert api.act(created.get_json()["id"], "dispatch", {"department": "XC-CGJ"}).status_code == 200
    with app.app_context():
        redis = get_redis()
        Queue("low", connection=redis).enqueue("hotline.tasks.notify.send_sms", "x", "y", None)
        FailedJobRegistry(queue=Queue("default", connection=redis))  # empty: reported as 0
    r = client.get("/metrics")
    assert r.status_code == 200 and r.mimetype == "text/plain"
    text = r.get_data(as_text=True)
    assert 'hotline_http_requests_total{endpoint="/api/v1/tickets",method="POST",status="201"}' in text
    assert 'hotline_http_request_seconds_bucket{endpoint="/api/v1/tickets",le="0.005"}' in text
    assert 'hotline_tickets_created_total{channel="phone"}' in text
    assert 'hotline_actions_total{action="dispatch"}' in text
    assert re.search(r'hotline_rq_queue_length\{queue="low"\} [1-9]', text)
    assert 'hotline_rq_jobs_failed{queue="default"} 0.0' in text
    assert "hotline_outbox_backlog " in text and "hotline_calls_waiting 0.0" in text
    assert "hotline_socketio_connections" in text
    assert "hotline_worker_heartbeat_age_seconds" in text


def test_metrics_refused_to_other_addresses(app, client, monkeypatch):
    r = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"
    monkeypatch.setitem(app.config, "METRICS_ALLOW_NETWORKS", ops_networks("10.1.0.0/16, ::1"))
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    assert client.get("/metrics").status_code == 403  # 127.0.0.1 no longer listed


def ops_networks(value: str) -> tuple:
    from hotline.ops import parse_allow

    return parse_allow(value)


def test_a_bad_metrics_allow_value_stops_the_start():
    with pytest.raises(SystemExit, match="HOTLINE_METRICS_ALLOW: 'localhost'"):
        ops_networks("127.0.0.1, localhost")
