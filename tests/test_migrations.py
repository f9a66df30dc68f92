"""Alembic: exactly one head, and an empty database upgrades to a schema equal to the models."""

from __future__ import annotations

import os

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from tests.conftest import _fresh_postgres

MIGRATIONS = os.path.join(os.path.dirname(__file__), "..", "migrations")


def test_one_head():
    cfg = Config(os.path.join(MIGRATIONS, "alembic.ini"))
    cfg.set_main_option("script_location", MIGRATIONS)
    assert len(ScriptDirectory.from_config(cfg).get_heads()) == 1


def test_upgrade_an_empty_database_matches_the_models(app, tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from flask_migrate import upgrade

    from hotline import create_app
    from hotline.config import database_url
    from hotline.extensions import db

    if os.environ.get("DATABASE_URL"):
        uri = _fresh_postgres(database_url(), f"hotline_migr_{os.getpid()}")
    else:
        uri = f"sqlite:///{tmp_path / 'empty.db'}"
    fresh = create_app({"SQLALCHEMY_DATABASE_URI": uri, "OUTBOX_RELAY_THREAD": False})
    with fresh.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {
            "tickets",
            "timeline_events",
            "outbox",
            "assignments",
            "extension_requests",
            "dispatch_rules",
            "api_tokens",
            "callers",
            "users",
        } <= tables
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == [], diff
        db.session.remove()
        db.engine.dispose()
    if uri.startswith("postgresql"):
        from sqlalchemy import make_url, text

        admin = create_engine(make_url(database_url()), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{make_url(uri).database}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.parametrize("path", ["/api/v1/openapi.json"])
def test_openapi_document_lists_every_action(client, path):
    from hotline.api.tickets import ACTIONS

    doc = client.get(path).get_json()
    assert doc["openapi"].startswith("3.")
    for action in ACTIONS:
        assert f"/tickets/{{id}}/actions/{action}" in doc["paths"]
