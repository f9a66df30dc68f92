"""routing: signature rows carry the ticket's time; lookup index on key and time

Revision ID: c18438d14e3b
Revises: 6ee41ad0ef74
Create Date: 2026-11-26 08:46:56.021232

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c18438d14e3b'
down_revision = '6ee41ad0ef74'
branch_labels = None
depends_on = None


def upgrade():
    # Rows written before this revision take their ticket's creation time.
    with op.batch_alter_table('ticket_signatures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE ticket_signatures SET created_at = "
        "(SELECT tickets.created_at FROM tickets WHERE tickets.id = ticket_signatures.ticket_id)"
    )
    with op.batch_alter_table('ticket_signatures', schema=None) as batch_op:
        batch_op.alter_column('created_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.drop_index(batch_op.f('ix_ticket_signatures_key'))
        batch_op.create_index('ix_ticket_signatures_key_created', ['band_key', 'created_at', 'ticket_id'], unique=False)


def downgrade():
    with op.batch_alter_table('ticket_signatures', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_signatures_key_created')
        batch_op.create_index(batch_op.f('ix_ticket_signatures_key'), ['band_key'], unique=False)
        batch_op.drop_column('created_at')
