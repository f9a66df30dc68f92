"""working calendar: imported official years and their days

Revision ID: 5c1a2e7b9d40
Revises: b5e1c0a7d318
Create Date: 2026-12-04 22:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c1a2e7b9d40'
down_revision = 'b5e1c0a7d318'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'calendar_official_years',
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('imported_by', sa.String(length=64), nullable=False),
        sa.Column('days', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('year', name=op.f('pk_calendar_official_years')),
    )
    op.create_table(
        'calendar_official_days',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('is_workday', sa.Boolean(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_official_days')),
    )


def downgrade():
    op.drop_table('calendar_official_days')
    op.drop_table('calendar_official_years')
