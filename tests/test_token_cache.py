"""Bearer principals kept per process (hotline.token_cache): no database read while nothing changed, and every
change that matters (revocation, deactivation, role, department, forced password change) reaches another
process at its next request."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select, update

from hotline import token_cache
from hotline.extensions import db
from hotline.models import ApiToken, User

_other_apps: list = []


@pytest.fixture(autouse=True)
def _dispose_other_apps():
    yield
    while _other_apps:
        with _other_apps.pop().app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def other(app):
    """A second web process: its own app (own engine, own cache) on the same database and Redis."""
    from hotline import create_app

    keys = ("SQLALCHEMY_DATABASE_URI", "REDIS_URL", "SECRET_KEY", "SOCKETIO_CHANNEL")
    second = create_app({**{k: app.config[k] for k in keys}, "TESTING": True, "OUTBOX_RELAY_THREAD": False})
    _other_apps.append(second)
    return second


def _token(app, client, username: str) -> dict:
    r = client.post("/api/v1/auth/token", json={"username": username, "password": f"demo-{username}"})
    assert r.status_code == 200, r.get_json()
    return {"Authorization": f"Bearer {r.get_json()['token']}"}


class _Statements:
    """The SQL statements an app's engine sends while counting."""

    def __init__(self, app) -> None:
        with app.app_context():
            self.engine = db.engine
        self.sent: list[str] = []

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._note)
        return self.sent

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._note)

    def _note(self, conn, cursor, statement, *args) -> None:
        self.sent.append(statement)


def test_a_known_token_is_not_read_again_while_nothing_changed(app, client):
    bearer = _token(app, client, "supervisor")
    assert client.get("/api/v1/wallboard", headers=bearer).status_code == 200
    with _Statements(app) as sent:
        assert client.get("/api/v1/wallboard", headers=bearer).status_code == 200
    assert not [s for s in sent if "api_tokens" in s]


def test_revocation_in_another_process_refuses_the_token_at_the_next_request(app, client, other):
    bearer = _token(app, client, "operator")
    assert client.get("/api/v1/tickets", headers=bearer).status_code == 200  # cached here
    assert other.test_client().delete("/api/v1/auth/token", headers=bearer).status_code == 204
    assert client.get("/api/v1/tickets", headers=bearer).status_code == 401


def test_deactivation_role_and_forced_password_change_elsewhere_apply_at_once(app, client, other):
    bearer = _token(app, client, "leader")
    assert client.get("/api/v1/reports/kpis?from=2026-11-01&to=2026-11-30", headers=bearer).status_code == 200

    def change(**values) -> None:
        with other.app_context():  # the ORM way (an admin's PATCH)
            user = db.session.scalar(select(User).where(User.username == "leader"))
            for k, v in values.items():
                setattr(user, k, v)
            db.session.commit()

    change(role="operator")
    assert client.get("/api/v1/reports/kpis?from=2026-11-01&to=2026-11-30", headers=bearer).status_code == 403
    change(role="leader", must_change_password=True)
    r = client.get("/api/v1/reports/kpis?from=2026-11-01&to=2026-11-30", headers=bearer)
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "password_change_required"
    change(must_change_password=False, active=False)
    assert client.get("/api/v1/reports/kpis?from=2026-11-01&to=2026-11-30", headers=bearer).status_code == 401


def test_a_core_update_of_the_tokens_elsewhere_applies_at_once(app, client, other):
    bearer = _token(app, client, "operator")
    assert client.get("/api/v1/tickets", headers=bearer).status_code == 200
    with other.app_context():  # the way the admin's "revoke every token of this user" writes
        db.session.execute(update(ApiToken).values(revoked_at=db.func.now()))
        db.session.commit()
    assert client.get("/api/v1/tickets", headers=bearer).status_code == 401


def test_a_rolled_back_change_keeps_the_cache(app, client, other):
    bearer = _token(app, client, "operator")
    assert client.get("/api/v1/tickets", headers=bearer).status_code == 200
    with other.app_context():
        db.session.execute(update(ApiToken).values(revoked_at=db.func.now()))
        db.session.rollback()
    with _Statements(app) as sent:
        assert client.get("/api/v1/tickets", headers=bearer).status_code == 200
    assert not [s for s in sent if "api_tokens" in s]


def test_redis_down_reads_the_database_every_time(app, client, monkeypatch):
    bearer = _token(app, client, "operator")
    assert client.get("/api/v1/tickets", headers=bearer).status_code == 200

    class Down:
        def get(self, key):
            raise ConnectionError("Redis is down")

    monkeypatch.setattr(token_cache, "_redis", lambda: Down())
    with _Statements(app) as sent:
        assert client.get("/api/v1/tickets", headers=bearer).status_code == 200
    assert [s for s in sent if "api_tokens" in s]
    with app.app_context():  # revoked while Redis is down: refused (the database is read)
        db.session.execute(update(ApiToken).values(revoked_at=db.func.now()))
        db.session.commit()
    assert client.get("/api/v1/tickets", headers=bearer).status_code == 401


def test_an_entry_is_kept_at_most_max_age(app, client, monkeypatch):
    bearer = _token(app, client, "operator")
    assert client.get("/api/v1/tickets", headers=bearer).status_code == 200
    with app.app_context():  # a revocation whose bump was lost (Redis failed right after the commit)
        monkeypatch.setattr(token_cache, "bump", lambda: None)
        db.session.execute(update(ApiToken).values(revoked_at=db.func.now()))
        db.session.commit()
    assert client.get("/api/v1/tickets", headers=bearer).status_code == 200  # within MAX_AGE_SECONDS
    monkeypatch.setattr(token_cache, "MAX_AGE_SECONDS", 0.0)
    assert client.get("/api/v1/tickets", headers=bearer).status_code == 401
