"""circulars: 督查通报 of a bureau, their findings per member hospital and the 整改 notes

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 21:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('circular',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('bureau_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('rectification_days', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['bureau_id'], ['unit.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('item_id')
    )
    op.create_index(op.f('ix_circular_bureau_id'), 'circular', ['bureau_id'], unique=False)
    op.create_table('circular_finding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('circular_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('figure', sa.Integer(), nullable=False),
    sa.Column('accepted_at', sa.DateTime(), nullable=True),
    sa.Column('accepted_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['accepted_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['circular_id'], ['circular.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_circular_finding_circular_id'), 'circular_finding', ['circular_id'], unique=False)
    op.create_index(op.f('ix_circular_finding_unit_id'), 'circular_finding', ['unit_id'], unique=False)
    op.create_table('rectification_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['finding_id'], ['circular_finding.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_rectification_note_finding_id'), 'rectification_note', ['finding_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_rectification_note_finding_id'), table_name='rectification_note')
    op.drop_table('rectification_note')
    op.drop_index(op.f('ix_circular_finding_unit_id'), table_name='circular_finding')
    op.drop_index(op.f('ix_circular_finding_circular_id'), table_name='circular_finding')
    op.drop_table('circular_finding')
    op.drop_index(op.f('ix_circular_bureau_id'), table_name='circular')
    op.drop_table('circular')
