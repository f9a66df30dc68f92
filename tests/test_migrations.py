"""Alembic: exactly one head, and an empty database upgrades to a schema equal to the models."""

from __future__ import annotations

import os

import psycopg
import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from tests.conftest import RUN, libpq

MIGRATIONS = os.path.join(os.path.dirname(__file__), "..", "migrations")


def test_one_head():
    cfg = Config(os.path.join(MIGRATIONS, "alembic.ini"))
    cfg.set_main_option("script_location", MIGRATIONS)
    assert len(ScriptDirectory.from_config(cfg).get_heads()) == 1


def test_upgrade_an_empty_database_matches_the_models(server_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from flask_migrate import upgrade
    from sqlalchemy import make_url

    from hotline import create_app
    from hotline.extensions import db

    name = f"{RUN}_empty"
    with psycopg.connect(libpq(server_url), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    uri = make_url(server_url).set(database=name).render_as_string(hide_password=False)
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
    with psycopg.connect(libpq(server_url), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.mark.parametrize("path", ["/api/v1/openapi.json"])
def test_openapi_document_lists_every_action(client, path):
    from hotline.api.tickets import ACTIONS

    doc = client.get(path).get_json()
    assert doc["openapi"].startswith("3.")
    for action in ACTIONS:
        assert f"/tickets/{{id}}/actions/{action}" in doc["paths"]
