"""api_tokens: tokens of the REST API (/api/v1), stored as the SHA-256 of their secret

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'api_tokens',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.Column('scopes', sa.String(length=300), nullable=False),
        sa.Column('username', sa.String(length=100), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['username'], ['users.username'], name=op.f('fk_api_tokens_username_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
        sa.UniqueConstraint('name', name=op.f('uq_api_tokens_name')),
        sa.UniqueConstraint('hash', name=op.f('uq_api_tokens_hash')),
    )
    op.create_index(op.f('ix_api_tokens_username'), 'api_tokens', ['username'])


def downgrade() -> None:
    op.drop_index(op.f('ix_api_tokens_username'), table_name='api_tokens')
    op.drop_table('api_tokens')
