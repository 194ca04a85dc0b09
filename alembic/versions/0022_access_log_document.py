"""access_log.document_id: which document a document_viewed / document_file_downloaded row is about, so the
document's page lists who read it

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    # NULL for the rows written before: a NULL field is not hashed, so their chain still verifies.
    op.add_column('access_log', sa.Column('document_id', sa.BigInteger(), nullable=True))
    op.create_index(op.f('ix_access_log_document_id'), 'access_log', ['document_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_access_log_document_id'), table_name='access_log')
    op.drop_column('access_log', 'document_id')
