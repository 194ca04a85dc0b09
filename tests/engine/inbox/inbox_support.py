"""Helpers for the staff inbox tests: an organisation with two branches, three small processes, cases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from engine.cases.queries import TaskView
from engine.deployment.service import collect_sources
from engine.persistence.models import User
from engine.services import Services
from tests.conftest import FIXTURES

INBOX = FIXTURES / "inbox"


def prepare(services: Services) -> Services:
    """Import the inbox organisation and deploy the inbox fixtures."""
    services.org.import_file(INBOX / "org.yaml")
    services.deployment.deploy(collect_sources([INBOX / "document.bpmn", INBOX / "open_task.bpmn",
                                                INBOX / "personal.bpmn"]))
    return services


def start_document(services: Services, key: str, *, user: str = "vanthu", han: Any = None,
                   do_khan: str = "khẩn", so: str = "12/UBND", trich_yeu: str = "Về việc báo cáo") -> int:
    """Start an incoming-document case; ``han`` is the handling task's deadline expression value."""
    data = {"so_ky_hieu": so, "trich_yeu": trich_yeu, "do_khan": do_khan, "han": han}
    return services.runtime.start("document", data=data, business_key=key, user=user)


def task_of(services: Services, instance_id: int) -> TaskView:
    """The one open task of a case."""
    tasks = services.queries.tasks(instance_id=instance_id)
    assert len(tasks) == 1, tasks
    return tasks[0]


def deactivate(services: Services, username: str) -> None:
    """Mark a user inactive (someone who left the agency)."""
    with services.db.transaction() as conn:
        conn.execute(update(User).where(User.username == username).values(active=False))
