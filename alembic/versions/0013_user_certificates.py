"""user certificates: the signing certificates registered for each user

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from engine.persistence.base import UTCDateTime

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'user_certificates',
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('username', sa.String(length=100), nullable=False),
        sa.Column('subject', sa.String(length=1000), nullable=False),
        sa.Column('serial', sa.String(length=100), nullable=False),
        sa.Column('issuer', sa.String(length=1000), nullable=False),
        sa.Column('not_before', UTCDateTime(), nullable=False),
        sa.Column('not_after', UTCDateTime(), nullable=False),
        sa.Column('pem', sa.Text(), nullable=False),
        sa.Column('added_at', UTCDateTime(), nullable=False),
        sa.Column('revoked_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['username'], ['users.username'],
                                name=op.f('fk_user_certificates_username_users')),
        sa.PrimaryKeyConstraint('fingerprint', name=op.f('pk_user_certificates')),
    )
    with op.batch_alter_table('user_certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_certificates_username'), ['username'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('user_certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_certificates_username'))
    op.drop_table('user_certificates')
