"""drop instances.search_text: every case search reads the full-text index (case_search, 0021)

"My cases" searched the folded business key and summary in ``instances.search_text`` with ``LIKE``; it now asks
the full-text index like the inbox and "Tra cứu hồ sơ", so nothing reads the column. Downgrading adds it back
and fills it from the business key and summary, as 0008 did.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07
"""
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0028'
down_revision: str | None = '0027'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def _fold(text: str) -> str:
    # A copy of engine.persistence.case_fields.fold as it was when this migration was written (migrations must
    # not change).
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def upgrade() -> None:
    # Never recreate the table on SQLite (its native DROP COLUMN is enough): a copy of instances would have to
    # rename itself under the triggers of other tables that read it.
    with op.batch_alter_table('instances', recreate='never') as batch_op:
        batch_op.drop_column('search_text')


def downgrade() -> None:
    with op.batch_alter_table('instances', recreate='never') as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.String(length=720), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, business_key, summary FROM instances "
                                "WHERE business_key IS NOT NULL OR summary IS NOT NULL")).all()
    for row in rows:
        text = _fold(" ".join(p for p in (row.business_key, row.summary) if p))[:720]
        bind.execute(sa.text("UPDATE instances SET search_text = :t WHERE id = :i"), {"t": text, "i": row.id})
