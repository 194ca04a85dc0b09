"""The Alembic migrations build exactly the schema the models describe (no drift)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from engine.persistence.models import Base
from engine.persistence.search_index import made_by_migration


def test_migrations_match_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn, opts={
            "compare_type": True, "include_object": made_by_migration}), Base.metadata)
    engine.dispose()
    assert differences == []
