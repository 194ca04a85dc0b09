"""Alembic environment: the schema is the engine's metadata; the URL comes from procflow's settings."""

from sqlalchemy import pool

from alembic import context
from engine.persistence.db import Database
from engine.persistence.models import Base
from engine.persistence.search_index import made_by_migration
from engine.settings import Settings

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return config.attributes.get("database_url") or Settings.from_env().database_url


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    database = Database(_url())
    engine = database.engine.execution_options(poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(conn)
    database.dispose()


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                      compare_type=True, include_object=made_by_migration)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
