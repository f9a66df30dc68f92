"""reply templates (常用语) per category

Revision ID: 8e4b2d6f1c90
Revises: 7c3d9e1f2a55
Create Date: 2026-12-04 23:35:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8e4b2d6f1c90'
down_revision = '7c3d9e1f2a55'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'reply_templates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('category_code', sa.String(length=6), nullable=True),
        sa.Column('title', sa.String(length=40), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('updated_by', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['category_code'], ['categories.code'], name=op.f('fk_reply_templates_category_code_categories')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reply_templates')),
    )
    op.create_index(op.f('ix_reply_templates_category_code'), 'reply_templates', ['category_code'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_reply_templates_category_code'), table_name='reply_templates')
    op.drop_table('reply_templates')
