"""What staff may start (the catalogue of procedures) and where a case stands on its diagram."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.bpmn.serializer import StateSerializer
from engine.deployment.form_store import FormStore
from engine.errors import NotFound, PermissionDenied
from engine.forms import FormDefinition
from engine.i18n import N_
from engine.persistence.db import Database
from engine.persistence.models import DeployedFile, HistoryEvent, Instance, Membership, ProcessVersion
from engine.runtime.specs import SpecCache

# History kinds that mean "this element was passed".
_FINISHED_KINDS = ("element_completed", "task_completed")
_VARIABLE = re.compile(r"^\s*\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\s*$")  # as engine/runtime/inbox_rows.py reads it
_CURRENT_STATES = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


@dataclass(frozen=True)
class ProcessEntry:
    """The latest version of a procedure, as the start page lists it."""

    process_id: str
    version: int
    name: str
    documentation: str
    starter_groups: list[str] = field(default_factory=list)
    start_form: str | None = None
    deployed_at: datetime | None = None


@dataclass(frozen=True)
class Diagram:
    """A case's BPMN file with the elements it is at now, the ones it passed, and the one that failed."""

    xml: str
    current: list[str]
    finished: list[str]
    failed: str | None


class NotAStarter(PermissionDenied):
    """The user is in none of the procedure's starter groups (``groups``)."""

    def __init__(self, process_id: str, groups: list[str]) -> None:
        super().__init__(f"only members of {', '.join(groups)} may start {process_id}")
        self.groups = groups


class ProcessCatalogue:
    """Answers which procedures a user may start and what a case's diagram shows."""

    def __init__(self, *, db: Database, serializer: StateSerializer | None = None,
                 specs: SpecCache | None = None, forms: FormStore | None = None) -> None:
        self.db = db
        self.serializer = serializer or StateSerializer()
        self.specs = specs or SpecCache(self.serializer)
        self.forms = forms or FormStore()

    def startable(self, username: str) -> list[ProcessEntry]:
        """The latest version of every procedure ``username`` may start, by name.

        A procedure without starter groups may be started by anyone; otherwise the user must belong to one.
        """
        with self.db.read() as session:
            groups = set(session.scalars(select(Membership.group_code).where(Membership.username == username)))
            newest = (select(ProcessVersion.process_id, func.max(ProcessVersion.version).label("version"))
                      .group_by(ProcessVersion.process_id).subquery())
            rows = session.scalars(select(ProcessVersion).join(
                newest, (ProcessVersion.process_id == newest.c.process_id)
                & (ProcessVersion.version == newest.c.version))).all()
            entries = [_entry(row) for row in rows]
        allowed = [e for e in entries if not e.starter_groups or groups & set(e.starter_groups)]
        return sorted(allowed, key=lambda e: (e.name.casefold(), e.process_id))

    def startable_process(self, process_id: str, username: str) -> ProcessEntry:
        """The latest version of ``process_id``, if ``username`` may start it (the rule of :meth:`startable`).

        Raises:
            NotFound: nothing of that id is deployed.
            NotAStarter: the user is in none of its starter groups (a PermissionDenied).
        """
        entry = self.process(process_id)
        if not any(e.process_id == process_id for e in self.startable(username)):
            raise NotAStarter(process_id, entry.starter_groups)
        return entry

    def names(self) -> dict[str, str]:
        """The name of every deployed procedure (its latest version's), by process id."""
        with self.db.read() as session:
            rows = session.execute(select(ProcessVersion.process_id, ProcessVersion.name)
                                   .order_by(ProcessVersion.process_id, ProcessVersion.version)).all()
        return {row.process_id: row.name for row in rows}

    def process(self, process_id: str) -> ProcessEntry:
        """The latest version of ``process_id``.

        Raises:
            NotFound: nothing of that id is deployed.
        """
        with self.db.read() as session:
            row = session.scalars(select(ProcessVersion).where(ProcessVersion.process_id == process_id)
                                  .order_by(ProcessVersion.version.desc()).limit(1)).first()
            if row is None:
                raise NotFound(N_("no deployed process '{process_id}'"), process_id=process_id)
            return _entry(row)

    def process_diagram(self, process_id: str) -> str:
        """The BPMN XML of the newest deployed version of ``process_id`` (the managers' bottleneck heatmap).

        Raises:
            NotFound: nothing of that id is deployed.
        """
        with self.db.read() as session:
            xml = session.scalars(select(DeployedFile.content)
                                  .join(ProcessVersion, ProcessVersion.file_id == DeployedFile.id)
                                  .where(ProcessVersion.process_id == process_id)
                                  .order_by(ProcessVersion.version.desc()).limit(1)).first()
        if xml is None:
            raise NotFound(N_("no deployed process '{process_id}'"), process_id=process_id)
        return xml

    def task_form(self, instance_id: int, element_id: str) -> FormDefinition | None:
        """The form version a case's task was deployed with (None if the task has no form).

        Raises:
            NotFound: no such case.
        """
        with self.db.read() as session:
            version_id = _version_of(session, instance_id)
            meta = self.specs.get(session, version_id).tasks_meta.get(element_id, {})
            form_version_id = meta.get("form_version_id")
            return self.forms.get(session, form_version_id) if form_version_id else None

    def case_forms(self, instance_id: int) -> dict[str, FormDefinition]:
        """The forms of a case's version by element id: the start form (under ``""``), then each task's, in model
        order.

        Raises:
            NotFound: no such case.
        """
        with self.db.read() as session:
            version_id = _version_of(session, instance_id)
            spec = self.specs.get(session, version_id)
            holders = {"": spec.start or {}, **spec.tasks_meta}
            return {element: self.forms.get(session, meta["form_version_id"]) for element, meta in holders.items()
                    if meta.get("form_version_id")}

    def assigned_by_field(self, instance_id: int) -> dict[str, list[str]]:
        """The user tasks of a case's version whose assignee is a data field (``${chuyen_vien_xu_ly}``): element
        ids by field name, in model order.

        Raises:
            NotFound: no such case.
        """
        with self.db.read() as session:
            version_id = _version_of(session, instance_id)
            found: dict[str, list[str]] = {}
            for element, meta in self.specs.get(session, version_id).tasks_meta.items():
                match = _VARIABLE.match(str(meta.get("assignee") or ""))
                if match:
                    found.setdefault(match.group(1), []).append(element)
            return found

    def start_form(self, process_id: str) -> FormDefinition | None:
        """The start form of the latest version of ``process_id`` (None if it has none).

        Raises:
            NotFound: nothing of that id is deployed.
        """
        with self.db.read() as session:
            row = session.execute(select(ProcessVersion.tasks_meta).where(ProcessVersion.process_id == process_id)
                                  .order_by(ProcessVersion.version.desc()).limit(1)).first()
            if row is None:
                raise NotFound(N_("no deployed process '{process_id}'"), process_id=process_id)
            form_version_id = ((row.tasks_meta or {}).get("start") or {}).get("form_version_id")
            return self.forms.get(session, form_version_id) if form_version_id else None

    def diagram(self, instance_id: int) -> Diagram:
        """The BPMN file of the case's version, the elements it waits at, and those it has passed.

        Raises:
            NotFound: no such case.
        """
        with self.db.read() as session:
            found = session.execute(select(Instance, DeployedFile.content)
                                    .join(ProcessVersion, ProcessVersion.id == Instance.process_version_id)
                                    .join(DeployedFile, DeployedFile.id == ProcessVersion.file_id)
                                    .where(Instance.id == instance_id)).first()
            if found is None:
                raise NotFound(N_("no instance {instance_id}"), instance_id=instance_id)
            instance, xml = found
            failed = instance.error_element
            passed = session.scalars(select(HistoryEvent.element_id).distinct().where(
                HistoryEvent.instance_id == instance_id, HistoryEvent.kind.in_(_FINISHED_KINDS)))
            finished = {e for e in passed if e is not None}
            current = self._current(session, instance)
        return Diagram(xml, current, sorted(finished - set(current)), failed)

    def _current(self, session: Session, instance: Instance) -> list[str]:
        spec = self.specs.get(session, instance.process_version_id)
        workflow = self.serializer.loads(instance.state, spec.spec, spec.subprocess_specs, None)
        ids = {t.task_spec.bpmn_id for t in workflow.get_tasks(state=_CURRENT_STATES)}
        return sorted(i for i in ids if i is not None and i != instance.process_id)


def _entry(row: ProcessVersion) -> ProcessEntry:
    meta = row.tasks_meta or {}
    return ProcessEntry(row.process_id, row.version, row.name, row.documentation or "",
                        list(meta.get("starter_groups") or []), (meta.get("start") or {}).get("form"),
                        row.deployed_at)


def _version_of(session: Session, instance_id: int) -> int:
    """The process version a case runs on; NotFound when there is no such case."""
    version_id = session.scalar(select(Instance.process_version_id).where(Instance.id == instance_id))
    if version_id is None:
        raise NotFound(N_("no instance {instance_id}"), instance_id=instance_id)
    return int(version_id)
