"""trust_boundaries: who last edited a revision, an approver's override of the catalog ceiling; the
sequential tracking-code counters go (codes are random now)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 10:00:00
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('revision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('edited_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('override', sa.JSON(), nullable=True))
        batch_op.create_foreign_key('fk_revision_edited_by_user_account', 'user_account',
                                    ['edited_by'], ['id'])
    op.drop_table('tracking_counter')


def downgrade() -> None:
    op.create_table('tracking_counter',
    sa.Column('key', sa.String(length=16), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('revision', schema=None) as batch_op:
        batch_op.drop_constraint('fk_revision_edited_by_user_account', type_='foreignkey')
        batch_op.drop_column('override')
        batch_op.drop_column('edited_by')
