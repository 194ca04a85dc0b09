"""Exchange trust: the agencies an exchange token may speak for, the certificates pinned for each agency

``api_tokens.agencies``: the identifier codes (comma-separated, or ``*``) whose packages a token of scope
``exchange`` may deliver; existing tokens stay unbound and are refused at receive until an operator binds them
(``procflow tokens bind NAME --agency CODE``). ``exchange_agencies.certificates``: the SHA-256 fingerprints of the
certificates the agency signs its packages' envelopes with (docs/exchange.md).

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0029'
down_revision: str | None = '0028'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('api_tokens', sa.Column('agencies', sa.String(length=1000), nullable=False, server_default=''))
    op.add_column('exchange_agencies', sa.Column('certificates', sa.String(length=1000), nullable=False,
                                                 server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('exchange_agencies') as batch:
        batch.drop_column('certificates')
    with op.batch_alter_table('api_tokens') as batch:
        batch.drop_column('agencies')
