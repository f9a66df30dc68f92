"""calls: hold (保持) and warm transfer (咨询转接) state, the last transfer recorded on the call

Revision ID: c7d2e4f81a90
Revises: ac1c35f81e78
Create Date: 2026-12-05 21:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7d2e4f81a90'
down_revision = 'ac1c35f81e78'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('consult_target', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('transfer_kind', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('transferred_to', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('transferred_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_column('transferred_at')
        batch_op.drop_column('transferred_to')
        batch_op.drop_column('transfer_kind')
        batch_op.drop_column('consult_target')
        batch_op.drop_column('held_at')
