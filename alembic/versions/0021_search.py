"""case_search: the full-text index of cases (PostgreSQL tsvector + GIN, SQLite FTS5), filled for existing cases

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from engine.persistence.search_index import document, write_many

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

_BATCH = 500
# On SQLite, FTS5 indexes the folded columns of case_search (an external-content table) and triggers keep it in step.
_SQLITE = (
    "CREATE VIRTUAL TABLE case_search_fts USING fts5(head, body, content='case_search', content_rowid='instance_id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER case_search_ai AFTER INSERT ON case_search BEGIN "
    "INSERT INTO case_search_fts(rowid, head, body) VALUES (new.instance_id, new.head, new.body); END",
    "CREATE TRIGGER case_search_ad AFTER DELETE ON case_search BEGIN "
    "INSERT INTO case_search_fts(case_search_fts, rowid, head, body) "
    "VALUES ('delete', old.instance_id, old.head, old.body); END",
    "CREATE TRIGGER case_search_au AFTER UPDATE ON case_search BEGIN "
    "INSERT INTO case_search_fts(case_search_fts, rowid, head, body) "
    "VALUES ('delete', old.instance_id, old.head, old.body); "
    "INSERT INTO case_search_fts(rowid, head, body) VALUES (new.instance_id, new.head, new.body); END",
)
# On PostgreSQL, a generated tsvector of the already folded words ('simple': no stemming, no stop words).
_POSTGRES = (
    "ALTER TABLE case_search ADD COLUMN document tsvector GENERATED ALWAYS AS "
    "(setweight(to_tsvector('simple'::regconfig, head), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, body), 'B')) STORED",
    "CREATE INDEX ix_case_search_document ON case_search USING gin (document)",
)


def _data(state: str | None) -> Any:
    """The case's data as its last step left it, read from the serialized workflow (no model needed)."""
    if not state:
        return None
    try:
        saved = json.loads(state)
    except ValueError:
        return None
    tasks, last = saved.get("tasks") or {}, saved.get("last_task")
    if isinstance(last, str) and isinstance(tasks.get(last), dict) and tasks[last].get("data"):
        return tasks[last]["data"]
    return saved.get("data")


def upgrade() -> None:
    op.create_table(
        'case_search',
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=500), nullable=True),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('head', sa.Text(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_case_search_instance_id_instances'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('instance_id', name=op.f('pk_case_search')),
    )
    bind = op.get_bind()
    for statement in _SQLITE if bind.dialect.name == "sqlite" else _POSTGRES:
        op.execute(statement)
    columns = {c["name"] for c in sa.inspect(bind).get_columns("instances")}
    title = sa.column("title") if "title" in columns else sa.null()
    instances = sa.table("instances", sa.column("id"), sa.column("business_key"), sa.column("summary"),
                         sa.column("state"), *([sa.column("title")] if "title" in columns else []))
    last = 0
    while True:
        rows = bind.execute(sa.select(instances.c.id, instances.c.business_key, instances.c.summary,
                                      title.label("title"), instances.c.state)
                            .where(instances.c.id > last).order_by(instances.c.id).limit(_BATCH)).all()
        if not rows:
            break
        write_many(bind, [(r.id, document(title=r.title, summary=r.summary, business_key=r.business_key,
                                          data=_data(r.state))) for r in rows])
        last = rows[-1].id


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("case_search_au", "case_search_ad", "case_search_ai"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS case_search_fts")
    op.drop_table('case_search')
