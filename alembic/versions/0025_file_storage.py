"""blobs, blob_chunks: file contents kept in the database (PROCFLOW_FILE_STORAGE=database)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'blobs',
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('chunks', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_blobs')),
    )
    op.create_table(
        'blob_chunks',
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['key'], ['blobs.key'], name=op.f('fk_blob_chunks_key_blobs'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('key', 'seq', name=op.f('pk_blob_chunks')),
    )


def downgrade() -> None:
    op.drop_table('blob_chunks')
    op.drop_table('blobs')
