"""inbox: claims on tickets waiting for dispatch (认领)

Revision ID: 6a2f0c3e8d17
Revises: 5c1a2e7b9d40
Create Date: 2026-12-04 23:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6a2f0c3e8d17'
down_revision = '5c1a2e7b9d40'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'ticket_claims',
        sa.Column('ticket_id', sa.BigInteger(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_claims_ticket_id_tickets'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_ticket_claims_user_id_users')),
        sa.PrimaryKeyConstraint('ticket_id', name=op.f('pk_ticket_claims')),
    )


def downgrade():
    op.drop_table('ticket_claims')
