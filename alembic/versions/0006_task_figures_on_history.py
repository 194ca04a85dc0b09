"""task figures on history

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import engine.persistence.base

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.add_column(sa.Column('process_id', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('unit_code', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('task_created_at', engine.persistence.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('due_at', engine.persistence.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('late_seconds', sa.Integer(), nullable=True))
        batch_op.create_index('ix_history_kind_at', ['kind', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.drop_index('ix_history_kind_at')
        batch_op.drop_column('late_seconds')
        batch_op.drop_column('due_at')
        batch_op.drop_column('task_created_at')
        batch_op.drop_column('unit_code')
        batch_op.drop_column('process_id')

