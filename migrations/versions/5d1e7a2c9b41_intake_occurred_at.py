"""intake: when the matter happened (受理五要素 "when"), default the intake time

Revision ID: 5d1e7a2c9b41
Revises: 8432af6aafb2
Create Date: 2026-12-04 22:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5d1e7a2c9b41'
down_revision = '8432af6aafb2'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('tickets', sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE tickets SET occurred_at = created_at")


def downgrade():
    op.drop_column('tickets', 'occurred_at')
