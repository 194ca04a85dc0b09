"""process start timers: a timer row may name a process version (a timer start event) instead of an instance

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-21
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

OWNER = '(instance_id IS NULL) <> (process_version_id IS NULL)'


def upgrade() -> None:
    with op.batch_alter_table('timers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('process_version_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_timers_process_version_id'), ['process_version_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_timers_process_version_id_process_versions'),
                                    'process_versions', ['process_version_id'], ['id'])
        batch_op.alter_column('instance_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_check_constraint(op.f('ck_timers_owner'), OWNER)
        # ``kind`` is a plain VARCHAR(20) (a non-native enum without a CHECK): 'process_start' needs no change.


def downgrade() -> None:
    op.execute("DELETE FROM timers WHERE kind = 'process_start'")  # rows without an instance cannot stay
    with op.batch_alter_table('timers', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_timers_owner'), type_='check')
        batch_op.alter_column('instance_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(batch_op.f('fk_timers_process_version_id_process_versions'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_timers_process_version_id'))
        batch_op.drop_column('process_version_id')
