"""departments: a managed list per unit; the names already used as category owners and feedback
departments become its first entries

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 16:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('department',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('unit_id', 'name')
    )
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_department_unit_id'), ['unit_id'], unique=False)
    bind = op.get_bind()
    used = bind.execute(sa.text(
        "SELECT unit_id, TRIM(owner) FROM category WHERE TRIM(owner) <> '' "
        "UNION SELECT unit_id, TRIM(department) FROM feedback WHERE TRIM(department) <> ''")).all()
    department = sa.table('department', sa.column('unit_id', sa.Integer), sa.column('name', sa.String),
                          sa.column('active', sa.Boolean), sa.column('position', sa.Integer))
    rows = sorted({(unit_id, name[:100]) for unit_id, name in used})
    if rows:
        op.bulk_insert(department, [{"unit_id": u, "name": n, "active": True, "position": 0} for u, n in rows])


def downgrade() -> None:
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_department_unit_id'))
    op.drop_table('department')
