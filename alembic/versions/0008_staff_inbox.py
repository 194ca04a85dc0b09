"""staff inbox: urgency, unit and search text on instances; offers; saved filters, drafts, comments, attachments

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import engine.persistence.base

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def _fold(text: str) -> str:
    # A copy of engine.persistence.case_fields.fold as it was when this migration was written (migrations must not change).
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def upgrade() -> None:
    op.create_table('saved_filters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('created_at', engine.persistence.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', engine.persistence.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['username'], ['users.username'], name=op.f('fk_saved_filters_username_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_filters')),
    sa.UniqueConstraint('username', 'name', name=op.f('uq_saved_filters_username_name'))
    )
    op.create_table('attachments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=True),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=120), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('stored_path', sa.String(length=200), nullable=False),
    sa.Column('created_at', engine.persistence.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_attachments_instance_id_instances'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index('ix_attachments_instance_id_id', ['instance_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachments_sha256'), ['sha256'], unique=False)

    op.create_table('comments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=True),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', engine.persistence.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_comments_instance_id_instances'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comments'))
    )
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.create_index('ix_comments_instance_id_id', ['instance_id', 'id'], unique=False)

    op.create_table('drafts',
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('updated_at', engine.persistence.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['inbox_tasks.id'], name=op.f('fk_drafts_task_id_inbox_tasks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_id', 'username', name=op.f('pk_drafts'))
    )
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.create_index('ix_history_actor_instance_id', ['actor', 'instance_id'], unique=False)

    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('urgency', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('unit_code', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('search_text', sa.String(length=720), nullable=True))
        batch_op.create_index(batch_op.f('ix_instances_started_by'), ['started_by'], unique=False)

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_username_read_at', ['username', 'read_at'], unique=False)

    with op.batch_alter_table('task_candidate_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_candidate_groups_group_code'))
        batch_op.create_index('ix_task_candidate_groups_group_code_task_id', ['group_code', 'task_id'], unique=False)

    _fill_instances()
    _offer_rows()


def _fill_instances() -> None:
    """The case's unit (its starter's) and its folded search text, for cases that already exist."""
    op.execute("UPDATE instances SET unit_code = (SELECT users.unit_code FROM users "
               "WHERE users.username = instances.started_by)")
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, business_key, summary FROM instances "
                                "WHERE business_key IS NOT NULL OR summary IS NOT NULL")).all()
    for row in rows:
        text = _fold(" ".join(p for p in (row.business_key, row.summary) if p))[:720]
        bind.execute(sa.text("UPDATE instances SET search_text = :t WHERE id = :i"), {"t": text, "i": row.id})


def _offer_rows() -> None:
    """task_candidate_groups now says whom an unassigned task is offered to ('*': everyone), and nothing more."""
    op.execute("DELETE FROM task_candidate_groups WHERE task_id IN "
               "(SELECT id FROM inbox_tasks WHERE assignee IS NOT NULL)")
    op.execute("INSERT INTO task_candidate_groups (task_id, group_code) SELECT id, '*' FROM inbox_tasks "
               "WHERE assignee IS NULL AND NOT EXISTS "
               "(SELECT 1 FROM task_candidate_groups c WHERE c.task_id = inbox_tasks.id)")


def downgrade() -> None:
    # Offer rows of assigned tasks are not restored; the earlier inbox query ignored them for assigned tasks.
    op.execute("DELETE FROM task_candidate_groups WHERE group_code = '*'")
    with op.batch_alter_table('task_candidate_groups', schema=None) as batch_op:
        batch_op.drop_index('ix_task_candidate_groups_group_code_task_id')
        batch_op.create_index(batch_op.f('ix_task_candidate_groups_group_code'), ['group_code'], unique=False)

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_username_read_at')

    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_instances_started_by'))
        batch_op.drop_column('search_text')
        batch_op.drop_column('unit_code')
        batch_op.drop_column('urgency')

    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.drop_index('ix_history_actor_instance_id')

    op.drop_table('drafts')
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index('ix_comments_instance_id_id')

    op.drop_table('comments')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachments_sha256'))
        batch_op.drop_index('ix_attachments_instance_id_id')

    op.drop_table('attachments')
    op.drop_table('saved_filters')
