"""Status lookups are rate-limited per client (Flask-Limiter on Redis): codes cannot be tried out."""

from __future__ import annotations

import pytest

from hotline.extensions import get_redis


@pytest.fixture
def low_limit(app):
    old = app.config["PUBLIC_LOOKUP_RATE_LIMIT"]
    app.config["PUBLIC_LOOKUP_RATE_LIMIT"] = "3 per minute"
    yield
    app.config["PUBLIC_LOOKUP_RATE_LIMIT"] = old


def _ticket(api):
    return (
        api.as_("operator")
        .post("/tickets", {"type": "consult", "content": "x", "caller_phone": "13800000000"})
        .get_json()
    )


def test_api_lookups_over_the_limit_get_429_json(client, api, app, redis_url, low_limit):
    t = _ticket(api)
    url = f"/api/v1/public/tickets/{t['number']}?code="
    for guess in ("000001", "000002", "000003"):
        assert client.get(url + guess).status_code == 404
    r = client.get(url + t["retrieval_code"])  # even the right code: the client is over its limit
    assert r.status_code == 429
    assert r.is_json and r.get_json()["error"]["code"] == "too_many_requests"
    assert 0 < int(r.headers["Retry-After"]) <= 60
    # Another client is not affected.
    other = app.test_client()
    r = other.get(url + t["retrieval_code"], environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert r.status_code == 200
    # The counters live in Redis (shared by every web process), not in this process.
    assert any(b"hotline-rl" in k for k in get_redis(redis_url).keys("*"))


def test_the_track_page_shares_the_limit_and_the_empty_form_is_free(client, api, low_limit):
    t = _ticket(api)
    for _ in range(5):
        assert client.get("/track").status_code == 200
    for _ in range(3):
        assert client.get(f"/track?number={t['number']}&code=999999").status_code == 404
    r = client.get(f"/track?number={t['number']}&code={t['retrieval_code']}")
    assert r.status_code == 429 and not r.is_json


def test_the_default_limit_allows_a_citizen_a_few_checks(client, api, app):
    assert app.config["PUBLIC_LOOKUP_RATE_LIMIT"].startswith("10 per minute")
    t = _ticket(api)
    for _ in range(10):
        assert client.get(f"/api/v1/public/tickets/{t['number']}?code={t['retrieval_code']}").status_code == 200
    assert client.get(f"/api/v1/public/tickets/{t['number']}?code={t['retrieval_code']}").status_code == 429


def test_limits_can_be_switched_off(client, api, app, low_limit):
    t = _ticket(api)
    limiter = app.extensions["hotline.limiter"]
    limiter.enabled = False
    try:
        for _ in range(5):
            assert client.get(f"/api/v1/public/tickets/{t['number']}?code={t['retrieval_code']}").status_code == 200
    finally:
        limiter.enabled = True


def test_an_app_configured_without_limits_starts_and_answers(app):
    """RATELIMIT_ENABLED=False at start-up (a deployment behind its own limiter, a benchmark) still boots."""
    from hotline import create_app

    quiet = create_app(
        {
            **{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "REDIS_URL", "SECRET_KEY")},
            "TESTING": True,
            "OUTBOX_RELAY_THREAD": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    client = quiet.test_client()
    for _ in range(5):
        assert client.get("/api/v1/public/tickets/XC2026112600001?code=000000").status_code == 404


def test_every_window_counts_and_the_tightest_refuses(client, api, app):
    """Two windows (as the default's per minute and per hour): the per-hour one refuses once it is used up,
    with its own Retry-After."""
    old = app.config["PUBLIC_LOOKUP_RATE_LIMIT"]
    app.config["PUBLIC_LOOKUP_RATE_LIMIT"] = "5 per minute;3 per hour"
    try:
        t = _ticket(api)
        url = f"/api/v1/public/tickets/{t['number']}?code={t['retrieval_code']}"
        env = {"REMOTE_ADDR": "10.9.8.21"}
        for _ in range(3):
            assert client.get(url, environ_base=env).status_code == 200
        r = client.get(url, environ_base=env)
        assert r.status_code == 429 and 60 < int(r.headers["Retry-After"]) <= 3600
    finally:
        app.config["PUBLIC_LOOKUP_RATE_LIMIT"] = old


def test_with_redis_down_lookups_are_still_limited_in_process(client, api, app, low_limit):
    t = _ticket(api)
    good = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    try:
        url = f"/api/v1/public/tickets/{t['number']}?code={t['retrieval_code']}"
        env = {"REMOTE_ADDR": "10.9.8.22"}
        for _ in range(3):
            assert client.get(url, environ_base=env).status_code == 200
        assert client.get(url, environ_base=env).status_code == 429
    finally:
        app.config["REDIS_URL"] = good


def test_a_lookup_is_one_redis_round_trip(client, api, app, redis_url, monkeypatch):
    """The client's windows and the number's wrong-code count are read in one pipeline."""
    from redis.client import Pipeline, Redis

    t = _ticket(api)
    calls = []
    real_pipe, real_cmd = Pipeline.execute, Redis.execute_command
    monkeypatch.setattr(Pipeline, "execute", lambda self, *a, **k: calls.append("pipeline") or real_pipe(self, *a, **k))
    monkeypatch.setattr(Redis, "execute_command", lambda self, *a, **k: calls.append(a[0]) or real_cmd(self, *a, **k))
    url = f"/api/v1/public/tickets/{t['number']}?code={t['retrieval_code']}"
    env = {"REMOTE_ADDR": "10.9.8.23"}
    assert client.get(url, environ_base=env).status_code == 200  # the first: the windows start (EXPIRE)
    calls.clear()
    assert client.get(url, environ_base=env).status_code == 200
    assert calls == ["pipeline"]
