"""search: a GIN index of the character bigrams of each ticket's title, content, address and reply

Revision ID: 7c3d9e1f2a55
Revises: 6a2f0c3e8d17
Create Date: 2026-12-04 23:20:00

Two-character Chinese words (路灯, 噪音) are the common search; pg_trgm's trigrams cannot serve them, bigrams can
(hotline/search.py). Whitespace-crossing pairs are left out: a search word has none.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '7c3d9e1f2a55'
down_revision = '6a2f0c3e8d17'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite (until it leaves the project) searches by LIKE alone
    op.execute(
        """
        CREATE FUNCTION ticket_search_grams(title text, content text, address text, reply text) RETURNS text[]
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
          SELECT coalesce(array_agg(DISTINCT g), '{}')
          FROM (SELECT lower(concat_ws(' ', title, content, address, reply)) AS t) s,
               LATERAL (SELECT substr(s.t, i, 2) AS g FROM generate_series(1, char_length(s.t) - 1) AS i) b
          WHERE g !~ '\\s'
        $$
        """
    )
    op.execute(
        "CREATE INDEX ix_tickets_search_grams ON tickets "
        "USING gin (ticket_search_grams(title, content, address, reply_text))"
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_tickets_search_grams")
    op.execute("DROP FUNCTION ticket_search_grams(text, text, text, text)")
