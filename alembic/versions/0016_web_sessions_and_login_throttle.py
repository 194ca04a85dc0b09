"""web sessions kept on the server; the sign-in throttle per client (user name and address, address)

Sessions: the browser keeps a random token, the table its SHA-256, so that signing out, a new password or a
deactivation ends a session at once, and idle and absolute lifetimes are enforced on the server. The throttle
replaces the lockout per user name (login_failures, dropped): counting per client never locks out the rightful user.

Revision ID: 0016
Revises: 0015 (re-chained by the lead)
Create Date: 2026-12-10
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import engine.persistence.base

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('web_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('created_at', engine.persistence.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', engine.persistence.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', engine.persistence.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['username'], ['users.username'], name=op.f('fk_web_sessions_username_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_sessions'))
    )
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_sessions_username'), ['username'], unique=False)
    op.create_table('login_throttle',
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('since', engine.persistence.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_throttle'))
    )
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_login_failures_username_at')
    op.drop_table('login_failures')


def downgrade() -> None:
    op.create_table('login_failures',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('at', engine.persistence.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failures'))
    )
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.create_index('ix_login_failures_username_at', ['username', 'at'], unique=False)
    op.drop_table('login_throttle')
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_sessions_username'))
    op.drop_table('web_sessions')
