"""hotline.pgcursor: a result's description, built when read, is the driver's own."""

from __future__ import annotations

import psycopg

from hotline import pgcursor
from hotline.extensions import db


def _driver(app):
    pooled = db.engine.raw_connection()
    return pooled, pooled.driver_connection


def test_the_apps_connections_make_lazy_cursors_that_describe_as_psycopg_does(app):
    with app.app_context():
        pooled, conn = _driver(app)
        try:
            assert isinstance(conn.cursor(), pgcursor.Cursor)
            sql = "SELECT 1 AS n, 'x'::varchar(5) AS s, now() AS t, NULL::numeric(6, 2) AS amount"
            lazy = conn.cursor().execute(sql).description
            plain = psycopg.Cursor(conn).execute(sql).description
            assert len(lazy) == 4
            assert [tuple(c) for c in lazy] == [tuple(c) for c in plain]
            assert [c.name for c in lazy] == ["n", "s", "t", "amount"] and lazy[1].type_code == plain[1].type_code
            # a statement without rows has none; an empty result still has its columns
            cur = conn.cursor()
            assert cur.execute("SET LOCAL statement_timeout = 0").description is None
            assert [c.name for c in cur.execute("SELECT 1 AS a WHERE false").description] == ["a"]
            conn.rollback()
        finally:
            pooled.close()


def test_a_description_read_after_the_cursor_moved_on_still_describes_its_result(app):
    with app.app_context():
        pooled, conn = _driver(app)
        try:
            cur = conn.cursor()
            first = cur.execute("SELECT 1 AS first_col").description
            cur.execute("SELECT 2 AS second_col, 3 AS third_col")
            assert [c.name for c in first] == ["first_col"]
            assert [c.name for c in cur.description] == ["second_col", "third_col"]
            conn.rollback()
        finally:
            pooled.close()
