"""presence: after-call work (话后处理) with its timer

Revision ID: b5e1c0a7d318
Revises: 5d1e7a2c9b41
Create Date: 2026-12-04 22:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5e1c0a7d318'
down_revision = '5d1e7a2c9b41'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('operator_presence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('after_call_until', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('operator_presence', schema=None) as batch_op:
        batch_op.drop_column('after_call_until')
