"""target tables: actuals_stamp, a token that changes with the table's actuals; the overview index

The office's overview of a year's tables is kept per table in the instance folder and reused
while the table's ``version`` and ``actuals_stamp`` are unchanged (issue #17); the index covers
what the overview reads of every table (without it SQLite reads each table's indicators too).

Revision ID: d1e2f3a4b5c6
Revises: c0a1b2c3d4e5
Create Date: 2026-12-03 15:00:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'd1e2f3a4b5c6'
down_revision: str | None = 'c0a1b2c3d4e5'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('target_table', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actuals_stamp', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False,
                                      server_default=''))
        batch_op.create_index('ix_target_table_overview', ['year', 'id', 'unit_id', 'project', 'version', 'revision',
                                                           'actuals_stamp', 'updated_at', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('target_table', schema=None) as batch_op:
        batch_op.drop_index('ix_target_table_overview')
        batch_op.drop_column('actuals_stamp')
