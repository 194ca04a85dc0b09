"""documents: incoming and outgoing documents, their files and the cases handling them

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from engine.persistence.base import UTCDateTime

revision: str = '0018'
# The brief says 0012; on this branch 0013 and 0014 already follow it, so 0022 follows the head (0014) to keep
# one head. The lead re-chains at merge.
down_revision: str | None = '0017'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'documents',
        sa.Column('id', _ID, nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('register', sa.String(length=100), nullable=True),
        sa.Column('year', sa.Integer(), nullable=True),
        sa.Column('number', sa.Integer(), nullable=True),
        sa.Column('notation', sa.String(length=100), nullable=True),
        sa.Column('issuing_agency', sa.String(length=300), nullable=True),
        sa.Column('doc_type', sa.String(length=50), nullable=True),
        sa.Column('doc_date', sa.Date(), nullable=True),
        sa.Column('place', sa.String(length=100), nullable=True),
        sa.Column('summary', sa.Text(), nullable=True),
        sa.Column('signer', sa.String(length=200), nullable=True),
        sa.Column('signer_position', sa.String(length=200), nullable=True),
        sa.Column('urgency', sa.String(length=20), nullable=True),
        sa.Column('confidentiality', sa.String(length=20), nullable=True),
        sa.Column('pages', sa.Integer(), nullable=True),
        sa.Column('recipients', sa.Text(), nullable=True),
        sa.Column('arrival_date', sa.Date(), nullable=True),
        sa.Column('issued_at', UTCDateTime(), nullable=True),
        sa.Column('handling_deadline', sa.Date(), nullable=True),
        sa.Column('lead_unit', sa.String(length=50), nullable=True),
        sa.Column('notes', sa.Text(), nullable=True),
        sa.Column('extra', sa.JSON(), nullable=False),
        sa.Column('created_by', sa.String(length=100), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
        sa.UniqueConstraint('register', 'year', 'number', name=op.f('uq_documents_register_year_number')),
    )
    op.create_index('ix_documents_kind_year_number', 'documents', ['kind', 'year', 'number'])
    op.create_table(
        'document_files',
        sa.Column('id', _ID, nullable=False),
        sa.Column('document_id', _ID, nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('content_type', sa.String(length=120), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('stored_path', sa.String(length=200), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=True),
        sa.Column('task_id', sa.String(length=36), nullable=True),
        sa.Column('username', sa.String(length=100), nullable=True),
        sa.Column('signatures', sa.JSON(), nullable=True),
        sa.Column('verified_at', UTCDateTime(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id'], ondelete='CASCADE',
                                name=op.f('fk_document_files_document_id_documents')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_document_files')),
    )
    op.create_index('ix_document_files_document_id_id', 'document_files', ['document_id', 'id'])
    op.create_index(op.f('ix_document_files_sha256'), 'document_files', ['sha256'])
    op.create_table(
        'document_cases',
        sa.Column('document_id', _ID, nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('relation', sa.String(length=20), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id'], ondelete='CASCADE',
                                name=op.f('fk_document_cases_document_id_documents')),
        sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], ondelete='CASCADE',
                                name=op.f('fk_document_cases_instance_id_instances')),
        sa.PrimaryKeyConstraint('document_id', 'instance_id', name=op.f('pk_document_cases')),
    )
    op.create_index(op.f('ix_document_cases_instance_id'), 'document_cases', ['instance_id'])


def downgrade() -> None:
    op.drop_table('document_cases')
    op.drop_table('document_files')
    op.drop_table('documents')
