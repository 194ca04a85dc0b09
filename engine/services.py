"""The one place that builds procflow's services from settings (used by the CLI, the web app, the workers)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.bpmn.serializer import StateSerializer
from engine.clock import Clock, SystemClock
from engine.deployment import DeploymentService
from engine.org import OrgService
from engine.persistence.db import Database
from engine.queries import Queries
from engine.runtime import Runtime
from engine.settings import Settings
from engine.specs import SpecCache

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"


@dataclass
class Services:
    """Every service, sharing one database handle, clock and spec cache."""

    settings: Settings
    db: Database
    clock: Clock
    deployment: DeploymentService
    runtime: Runtime
    queries: Queries
    org: OrgService

    def close(self) -> None:
        """Release database connections."""
        self.db.dispose()


def build_services(settings: Settings, *, clock: Clock | None = None, calendar: object = None,
                   verify_state: bool = False) -> Services:
    """Wire the services for ``settings``; nothing connects until first used."""
    clock = clock or SystemClock()
    db = Database(settings.database_url)
    serializer = StateSerializer()
    specs = SpecCache(serializer)
    return Services(
        settings=settings,
        db=db,
        clock=clock,
        deployment=DeploymentService(db=db, clock=clock, serializer=serializer),
        runtime=Runtime(db=db, clock=clock, calendar=calendar, serializer=serializer, specs=specs,
                        verify_state=verify_state),
        queries=Queries(db=db, serializer=serializer, specs=specs),
        org=OrgService(db=db),
    )


def upgrade_database(database_url: str, revision: str = "head") -> None:
    """Bring the schema to ``revision`` with Alembic (creates it from nothing)."""
    from alembic.config import Config

    from alembic import command

    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(ALEMBIC_INI.parent / "alembic"))
    config.attributes["database_url"] = database_url
    command.upgrade(config, revision)
