"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-21
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import engine.persistence.base

revision: str = '0001'
down_revision: str | None = None
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('deployed_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('deployed_at', engine.persistence.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deployed_files')),
    sa.UniqueConstraint('name', 'content_hash', name=op.f('uq_deployed_files_name_content_hash'))
    )
    op.create_table('groups',
    sa.Column('code', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_groups'))
    )
    op.create_table('units',
    sa.Column('code', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('parent_code', sa.String(length=100), nullable=True),
    sa.Column('head_username', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['parent_code'], ['units.code'], name=op.f('fk_units_parent_code_units')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_units'))
    )
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_units_parent_code'), ['parent_code'], unique=False)

    op.create_table('deployed_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.String(length=100), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['deployed_files.id'], name=op.f('fk_deployed_decisions_file_id_deployed_files')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deployed_decisions'))
    )
    with op.batch_alter_table('deployed_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deployed_decisions_decision_id'), ['decision_id'], unique=False)

    op.create_table('process_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.String(length=100), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('spec_json', sa.Text(), nullable=False),
    sa.Column('tasks_meta', sa.JSON(), nullable=False),
    sa.Column('documentation', sa.Text(), nullable=False),
    sa.Column('deployed_at', engine.persistence.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('deployed_by', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['file_id'], ['deployed_files.id'], name=op.f('fk_process_versions_file_id_deployed_files')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_versions')),
    sa.UniqueConstraint('process_id', 'content_hash', name=op.f('uq_process_versions_process_id_content_hash')),
    sa.UniqueConstraint('process_id', 'version', name=op.f('uq_process_versions_process_id_version'))
    )
    with op.batch_alter_table('process_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_versions_process_id'), ['process_id'], unique=False)

    op.create_table('users',
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('full_name', sa.String(length=500), nullable=False),
    sa.Column('email', sa.String(length=300), nullable=True),
    sa.Column('unit_code', sa.String(length=100), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('password_hash', sa.String(length=300), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['unit_code'], ['units.code'], name=op.f('fk_users_unit_code_units')),
    sa.PrimaryKeyConstraint('username', name=op.f('pk_users'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_unit_code'), ['unit_code'], unique=False)

    op.create_table('instances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_version_id', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.String(length=100), nullable=False),
    sa.Column('business_key', sa.String(length=200), nullable=True),
    sa.Column('status', sa.Enum('running', 'suspended', 'error', 'completed', 'terminated', name='instancestatus', native_enum=False, length=20), nullable=False),
    sa.Column('started_by', sa.String(length=100), nullable=True),
    sa.Column('started_at', engine.persistence.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', engine.persistence.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', engine.persistence.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('error_element', sa.String(length=200), nullable=True),
    sa.Column('error_message', sa.Text(), nullable=True),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.Column('completed_tasks', sa.Integer(), nullable=False),
    sa.Column('state', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['process_version_id'], ['process_versions.id'], name=op.f('fk_instances_process_version_id_process_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instances'))
    )
    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_instances_business_key'), ['business_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_instances_process_id'), ['process_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_instances_process_version_id'), ['process_version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_instances_status'), ['status'], unique=False)

    op.create_table('memberships',
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('group_code', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['group_code'], ['groups.code'], name=op.f('fk_memberships_group_code_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['username'], ['users.username'], name=op.f('fk_memberships_username_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('username', 'group_code', name=op.f('pk_memberships'))
    )
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_memberships_group_code'), ['group_code'], unique=False)

    op.create_table('history',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('at', engine.persistence.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('element_id', sa.String(length=200), nullable=True),
    sa.Column('element_type', sa.String(length=60), nullable=True),
    sa.Column('task_id', sa.String(length=36), nullable=True),
    sa.Column('actor', sa.String(length=100), nullable=True),
    sa.Column('data', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_history_instance_id_instances'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_history'))
    )
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.create_index('ix_history_instance_id_id', ['instance_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_history_task_id'), ['task_id'], unique=False)

    op.create_table('inbox_tasks',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.String(length=100), nullable=False),
    sa.Column('element_id', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('lane', sa.String(length=200), nullable=True),
    sa.Column('form_key', sa.String(length=200), nullable=True),
    sa.Column('assignee', sa.String(length=100), nullable=True),
    sa.Column('created_at', engine.persistence.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', engine.persistence.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('group_codes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_inbox_tasks_instance_id_instances'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_tasks'))
    )
    with op.batch_alter_table('inbox_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_tasks_assignee_due', ['assignee', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbox_tasks_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbox_tasks_instance_id'), ['instance_id'], unique=False)

    op.create_table('task_candidate_groups',
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('group_code', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['inbox_tasks.id'], name=op.f('fk_task_candidate_groups_task_id_inbox_tasks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_id', 'group_code', name=op.f('pk_task_candidate_groups'))
    )
    with op.batch_alter_table('task_candidate_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_candidate_groups_group_code'), ['group_code'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('task_candidate_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_candidate_groups_group_code'))

    op.drop_table('task_candidate_groups')
    with op.batch_alter_table('inbox_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbox_tasks_instance_id'))
        batch_op.drop_index(batch_op.f('ix_inbox_tasks_due_at'))
        batch_op.drop_index('ix_inbox_tasks_assignee_due')

    op.drop_table('inbox_tasks')
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_history_task_id'))
        batch_op.drop_index('ix_history_instance_id_id')

    op.drop_table('history')
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_memberships_group_code'))

    op.drop_table('memberships')
    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_instances_status'))
        batch_op.drop_index(batch_op.f('ix_instances_process_version_id'))
        batch_op.drop_index(batch_op.f('ix_instances_process_id'))
        batch_op.drop_index(batch_op.f('ix_instances_business_key'))

    op.drop_table('instances')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_unit_code'))

    op.drop_table('users')
    with op.batch_alter_table('process_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_versions_process_id'))

    op.drop_table('process_versions')
    with op.batch_alter_table('deployed_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deployed_decisions_decision_id'))

    op.drop_table('deployed_decisions')
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_units_parent_code'))

    op.drop_table('units')
    op.drop_table('groups')
    op.drop_table('deployed_files')
