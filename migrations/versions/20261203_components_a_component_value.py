"""components: entered values of weighted, bonus and deduction components

Revision ID: c0a1b2c3d4e5
Revises: 11ce467eda49
Create Date: 2026-12-03 06:45:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models.base

revision: str = 'c0a1b2c3d4e5'
down_revision: str | None = '11ce467eda49'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'component_value',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cycle_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('component_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('value_e4', sa.BigInteger(), nullable=True),
        sa.Column('no_work', sa.Boolean(), nullable=False),
        sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('entered_by_id', sa.Integer(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('updated_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['cycle_id'], ['cycle.id'], name=op.f('fk_component_value_cycle_id_cycle')),
        sa.ForeignKeyConstraint(['entered_by_id'], ['user_account.id'],
                                name=op.f('fk_component_value_entered_by_id_user_account')),
        sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_component_value_unit_id_unit')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_component_value')),
        sa.UniqueConstraint('cycle_id', 'unit_id', 'component_key',
                            name=op.f('uq_component_value_cycle_id_unit_id_component_key')),
    )
    with op.batch_alter_table('component_value', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_component_value_cycle_id'), ['cycle_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_component_value_unit_id'), ['unit_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('component_value', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_component_value_unit_id'))
        batch_op.drop_index(batch_op.f('ix_component_value_cycle_id'))
    op.drop_table('component_value')
