"""migrations, migration_cases: moving running cases to another version of their process

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'migrations',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('process_id', sa.String(length=100), nullable=False),
        sa.Column('from_version_id', sa.Integer(), nullable=False),
        sa.Column('to_version_id', sa.Integer(), nullable=False),
        sa.Column('mapping', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('migrated', sa.Integer(), nullable=False),
        sa.Column('failed', sa.Integer(), nullable=False),
        sa.Column('created_by', sa.String(length=100), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['from_version_id'], ['process_versions.id'],
                                name=op.f('fk_migrations_from_version_id_process_versions')),
        sa.ForeignKeyConstraint(['to_version_id'], ['process_versions.id'],
                                name=op.f('fk_migrations_to_version_id_process_versions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_migrations')),
    )
    op.create_index(op.f('ix_migrations_process_id'), 'migrations', ['process_id'])
    op.create_table(
        'migration_cases',
        sa.Column('migration_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('message', sa.Text(), nullable=True),
        sa.Column('detail', sa.JSON(), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['migration_id'], ['migrations.id'],
                                name=op.f('fk_migration_cases_migration_id_migrations'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['instance_id'], ['instances.id'],
                                name=op.f('fk_migration_cases_instance_id_instances'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('migration_id', 'instance_id', name=op.f('pk_migration_cases')),
    )
    op.create_index(op.f('ix_migration_cases_instance_id'), 'migration_cases', ['instance_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_migration_cases_instance_id'), table_name='migration_cases')
    op.drop_table('migration_cases')
    op.drop_index(op.f('ix_migrations_process_id'), table_name='migrations')
    op.drop_table('migrations')
