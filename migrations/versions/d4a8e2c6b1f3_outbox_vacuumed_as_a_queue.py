"""outbox: vacuumed as a queue (after every 1,000 changed rows, not after a fifth of the table)

Each delivered row leaves a dead entry in the partial index of pending rows (ix_outbox_pending) until VACUUM
removes it, and the relay's claim (a bitmap scan of that index, up to 40 times a second per process) reads every
one: at 40,000 dead entries a claim took 6.5 ms instead of 0.15 ms, and intake through nginx fell from 358 to 210
tickets/s as the table grew (bench/intake.py --url, run after run). PostgreSQL's default vacuums a table after
changes to 20% of its rows, which an outbox of a week's rows reaches rarely; here after 1,000.

Revision ID: d4a8e2c6b1f3
Revises: c7d2e4f81a90
Create Date: 2026-12-06 00:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd4a8e2c6b1f3'
down_revision = 'c7d2e4f81a90'
branch_labels = None
depends_on = None

SETTINGS = {
    "autovacuum_vacuum_scale_factor": "0",
    "autovacuum_vacuum_threshold": "1000",
    "autovacuum_vacuum_insert_scale_factor": "0",
    "autovacuum_vacuum_insert_threshold": "1000",
    "autovacuum_analyze_scale_factor": "0",
    "autovacuum_analyze_threshold": "1000",
}


def upgrade():
    op.execute("ALTER TABLE outbox SET (" + ", ".join(f"{k} = {v}" for k, v in SETTINGS.items()) + ")")


def downgrade():
    op.execute("ALTER TABLE outbox RESET (" + ", ".join(SETTINGS) + ")")
