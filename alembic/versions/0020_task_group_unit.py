"""inbox_tasks.group_unit_code: the unit of the group (or lane) an open task is offered to

An unassigned task counts for this unit (and its overdue alert goes to its head) rather than for the case's unit
(engine/org/attribution.py). Rows opened before this revision keep NULL and count for the case's unit as before.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('inbox_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_unit_code', sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('inbox_tasks', schema=None) as batch_op:
        batch_op.drop_column('group_unit_code')
