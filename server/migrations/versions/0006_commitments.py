"""commitments

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 19:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('commitment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('committer_kind', sa.String(length=16), nullable=False),
    sa.Column('committer', sa.String(length=100), nullable=False),
    sa.Column('pledge', sa.Text(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('closed_by', sa.Integer(), nullable=True),
    sa.Column('closing_note', sa.Text(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['closed_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('item_id')
    )
    op.create_index(op.f('ix_commitment_status'), 'commitment', ['status'], unique=False)
    op.create_index(op.f('ix_commitment_unit_id'), 'commitment', ['unit_id'], unique=False)
    op.create_table('commitment_rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commitment_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.String(length=16), nullable=False),
    sa.Column('screen_code', sa.String(length=16), nullable=True),
    sa.Column('device_id', sa.String(length=32), nullable=True),
    sa.Column('idem_key', sa.String(length=64), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['commitment_id'], ['commitment.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idem_key')
    )
    op.create_index(op.f('ix_commitment_rating_commitment_id'), 'commitment_rating', ['commitment_id'], unique=False)
    op.create_table('commitment_update',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commitment_id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('on_date', sa.Date(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('percent', sa.Integer(), nullable=True),
    sa.Column('milestone', sa.String(length=100), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['commitment_id'], ['commitment.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['revision_id'], ['revision.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_commitment_update_commitment_id'), 'commitment_update', ['commitment_id'], unique=False)
    op.create_index(op.f('ix_commitment_update_revision_id'), 'commitment_update', ['revision_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_commitment_update_revision_id'), table_name='commitment_update')
    op.drop_index(op.f('ix_commitment_update_commitment_id'), table_name='commitment_update')
    op.drop_table('commitment_update')
    op.drop_index(op.f('ix_commitment_rating_commitment_id'), table_name='commitment_rating')
    op.drop_table('commitment_rating')
    op.drop_index(op.f('ix_commitment_unit_id'), table_name='commitment')
    op.drop_index(op.f('ix_commitment_status'), table_name='commitment')
    op.drop_table('commitment')
