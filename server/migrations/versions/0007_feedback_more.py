"""feedback_more

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 19:30:00
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sla_digest_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('overdue', sa.Integer(), nullable=False),
    sa.Column('escalated', sa.Integer(), nullable=False),
    sa.Column('mail_status', sa.String(length=16), nullable=False),
    sa.Column('mail_pending', sa.JSON(), nullable=False),
    sa.Column('mail_attempts', sa.Integer(), nullable=False),
    sa.Column('mail_error', sa.Text(), nullable=False),
    sa.Column('mailed_at', sa.DateTime(), nullable=True),
    sa.Column('tried_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('unit_id', 'day')
    )
    with op.batch_alter_table('sla_digest_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sla_digest_run_unit_id'), ['unit_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sla_digest_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sla_digest_run_unit_id'))
    op.drop_table('sla_digest_run')
