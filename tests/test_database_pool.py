"""A PostgreSQL restart (every server connection cut) costs no failed request: a connection leaving the pool is
checked (hotline.dbpool)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, make_url, text


def _cut_every_connection(database_uri: str, keep: int) -> int:
    """What a server restart does to the app's pooled connections (the test harness's own connection, `keep`,
    is spared: it restores the database between tests). As in a restart, each server process has ended (its
    goodbye sent, its socket closed) when this returns: pg_terminate_backend waits up to 5 s for that."""
    admin = create_engine(make_url(database_uri), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            return len(
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                        "WHERE datname = :n AND pid <> pg_backend_pid() AND pid <> :keep"
                    ),
                    {"n": make_url(database_uri).database, "keep": keep},
                ).all()
            )
    finally:
        admin.dispose()


def test_requests_after_the_database_dropped_every_connection_succeed(app, api, make_ticket, client, snapshot):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("needs PostgreSQL")
    t = make_ticket("accepted")
    assert api.as_("supervisor").get(f"/tickets/{t['id']}").status_code == 200
    assert client.get(f"/api/v1/public/tickets/{t['number']}?code={t['retrieval_code']}").status_code == 200
    assert _cut_every_connection(app.config["SQLALCHEMY_DATABASE_URI"], snapshot.conn.info.backend_pid) >= 1
    assert api.as_("supervisor").get(f"/tickets/{t['id']}").status_code == 200
    assert _cut_every_connection(app.config["SQLALCHEMY_DATABASE_URI"], snapshot.conn.info.backend_pid) >= 1
    assert client.get(f"/api/v1/public/tickets/{t['number']}?code={t['retrieval_code']}").status_code == 200
