"""signage

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 19:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('screen_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('opening_hours', sa.JSON(), nullable=False),
    sa.Column('night_mode', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('unit_id', 'name')
    )
    op.create_table('signage_alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('groups', sa.JSON(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('raised_by', sa.Integer(), nullable=True),
    sa.Column('raised_at', sa.DateTime(), nullable=False),
    sa.Column('cleared_by', sa.Integer(), nullable=True),
    sa.Column('cleared_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['cleared_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['raised_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('signage_alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signage_alert_cleared_at'), ['cleared_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_signage_alert_unit_id'), ['unit_id'], unique=False)

    op.create_table('signage_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('group', sa.String(length=64), nullable=False),
    sa.Column('category_key', sa.String(length=64), nullable=False),
    sa.Column('immediate_only', sa.Boolean(), nullable=False),
    sa.Column('slide', sa.String(length=16), nullable=False),
    sa.Column('duration', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('dayparts', sa.JSON(), nullable=False),
    sa.Column('window_start', sa.DateTime(), nullable=True),
    sa.Column('window_end', sa.DateTime(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('signage_rule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signage_rule_unit_id'), ['unit_id'], unique=False)

    with op.batch_alter_table('revision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signage', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('revision', schema=None) as batch_op:
        batch_op.drop_column('signage')

    with op.batch_alter_table('signage_rule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signage_rule_unit_id'))

    op.drop_table('signage_rule')
    with op.batch_alter_table('signage_alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signage_alert_unit_id'))
        batch_op.drop_index(batch_op.f('ix_signage_alert_cleared_at'))

    op.drop_table('signage_alert')
    op.drop_table('screen_group')
