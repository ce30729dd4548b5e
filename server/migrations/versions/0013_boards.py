"""公开栏 postings: which print of which revision hangs on which board

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 21:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('board_posting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('board_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('revision_number', sa.Integer(), nullable=False),
    sa.Column('paper', sa.String(length=16), nullable=False),
    sa.Column('posted_at', sa.DateTime(), nullable=False),
    sa.Column('posted_by', sa.Integer(), nullable=True),
    sa.Column('photo_sha', sa.String(length=64), nullable=True),
    sa.Column('taken_down_at', sa.DateTime(), nullable=True),
    sa.Column('taken_down_by', sa.Integer(), nullable=True),
    sa.Column('replaced_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['board_id'], ['feedback_point.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['posted_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['replaced_by'], ['board_posting.id'], ),
    sa.ForeignKeyConstraint(['taken_down_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_board_posting_board_id'), 'board_posting', ['board_id'], unique=False)
    op.create_index(op.f('ix_board_posting_item_id'), 'board_posting', ['item_id'], unique=False)
    op.create_index(op.f('ix_board_posting_unit_id'), 'board_posting', ['unit_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_board_posting_unit_id'), table_name='board_posting')
    op.drop_index(op.f('ix_board_posting_item_id'), table_name='board_posting')
    op.drop_index(op.f('ix_board_posting_board_id'), table_name='board_posting')
    op.drop_table('board_posting')
