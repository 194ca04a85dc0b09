"""archived_cases: finished cases moved to archive files by retention (historyTimeToLive)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0026'
down_revision: str | None = '0025'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'archived_cases',
        sa.Column('instance_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('process_id', sa.String(length=200), nullable=False),
        sa.Column('business_key', sa.String(length=200), nullable=True),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('archived_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('archive', sa.String(length=300), nullable=False),
        sa.Column('history_count', sa.Integer(), nullable=False),
        sa.Column('history_head', sa.String(length=64), nullable=False),
        sa.Column('access_count', sa.Integer(), nullable=False),
        sa.Column('access_head', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('instance_id', name=op.f('pk_archived_cases')),
    )


def downgrade() -> None:
    op.drop_table('archived_cases')
