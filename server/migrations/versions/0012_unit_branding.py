"""unit branding: the display name, colour and logo a unit's screens show in their header

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 18:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ALTER TABLE (SQLite ≥ 3.35 drops columns itself): a batch copy of `unit` would trip the
    # foreign keys every other table holds to it
    op.add_column('unit', sa.Column('brand_name', sa.String(length=100), nullable=False, server_default=''))
    op.add_column('unit', sa.Column('brand_colour', sa.String(length=7), nullable=False, server_default=''))
    op.add_column('unit', sa.Column('logo', sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column('unit', 'logo')
    op.drop_column('unit', 'brand_colour')
    op.drop_column('unit', 'brand_name')
