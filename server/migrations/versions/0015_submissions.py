"""信息报送: monthly reports submitted to the bureau (frozen snapshots)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 21:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('report_submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('bureau_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('submitted_by', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['bureau_id'], ['unit.id'], ),
    sa.ForeignKeyConstraint(['submitted_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_report_submission_unit_month', 'report_submission', ['unit_id', 'month'], unique=False)
    op.create_index(op.f('ix_report_submission_bureau_id'), 'report_submission', ['bureau_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_report_submission_bureau_id'), table_name='report_submission')
    op.drop_index('ix_report_submission_unit_month', table_name='report_submission')
    op.drop_table('report_submission')
