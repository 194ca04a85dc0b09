"""A cache of deployed process specs, restored once per version and shared by every instance."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from engine.bpmn.serializer import StateSerializer
from engine.errors import NotFound
from engine.i18n import N_
from engine.persistence.models import ProcessVersion


@dataclass(frozen=True)
class LoadedSpec:
    """A process version ready to run: Spiff specs plus procflow's task metadata."""

    version_id: int
    process_id: str
    version: int
    spec: Any
    subprocess_specs: dict[str, Any]
    tasks_meta: dict[str, Any]
    starter_groups: list[str]
    start: dict[str, Any]  # start rules: refuse_if, refuse_message, business_key, unique_business_key, form
    summary: str | None  # expression for the case's one-line description
    urgency: str | None = None  # expression for the case's urgency level (engine/persistence/case_fields.py)
    documents: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # procflow:document actions by element


class SpecCache:
    """Keeps the most recently used process versions in memory (they never change once deployed)."""

    def __init__(self, serializer: StateSerializer, size: int = 128) -> None:
        self.serializer = serializer
        self.size = size
        self._items: OrderedDict[int, LoadedSpec] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, conn: Connection | Session, version_id: int) -> LoadedSpec:
        """Return the spec of ``version_id``, restoring it from the database on first use."""
        with self._lock:
            found = self._items.get(version_id)
            if found is not None:
                self._items.move_to_end(version_id)
                return found
        row = conn.execute(select(ProcessVersion.id, ProcessVersion.process_id, ProcessVersion.version,
                                  ProcessVersion.spec_json, ProcessVersion.tasks_meta)
                           .where(ProcessVersion.id == version_id)).first()
        if row is None:
            raise NotFound(N_("no process version {version_id}"), version_id=version_id)
        spec, subs = self.serializer.spec_from_json(row.spec_json)
        meta = row.tasks_meta or {}
        loaded = LoadedSpec(row.id, row.process_id, row.version, spec, subs, meta.get("tasks", {}),
                            meta.get("starter_groups", []), meta.get("start", {}), meta.get("summary"),
                            meta.get("urgency"), meta.get("documents", {}))
        with self._lock:
            self._items[version_id] = loaded
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return loaded
