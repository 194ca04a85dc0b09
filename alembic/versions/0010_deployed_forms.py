"""deployed forms: versions of Camunda Forms JSON definitions used by process versions

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-21
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import engine.persistence.base

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('deployed_forms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('form_id', sa.String(length=100), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('deployed_at', engine.persistence.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deployed_forms')),
    sa.UniqueConstraint('key', 'content_hash', name=op.f('uq_deployed_forms_key_content_hash'))
    )
    with op.batch_alter_table('deployed_forms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deployed_forms_key'), ['key'], unique=False)
        batch_op.create_index(batch_op.f('ix_deployed_forms_form_id'), ['form_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('deployed_forms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deployed_forms_form_id'))
        batch_op.drop_index(batch_op.f('ix_deployed_forms_key'))
    op.drop_table('deployed_forms')
