"""Forms deployed with the processes that use them, versioned, and the submissions they validate.

A process version records, for each user task (and its start event), the id of the form version it
was deployed with; a running case keeps validating against that version even after the form changes.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from engine.errors import ModelProblem
from engine.forms import FormDefinition, FormRegistry, form_name, load_form, parse_form
from engine.persistence.models import DeployedForm

FORM_SUFFIX = ".form"


def is_form(name: str) -> bool:
    """True for a form definition file."""
    return name.endswith(FORM_SUFFIX)


class FormResolver:
    """Finds, during one deployment, the form version each task names; stores new versions as needed.

    A key is looked for in the forms being deployed, then among deployed forms, then in the forms folder.
    """

    def __init__(self, session: Session, sources: Sequence[Any], *, forms_dir: Path | None, now: datetime) -> None:
        self.session = session
        self.forms_dir = forms_dir
        self.now = now
        self.problems: list[ModelProblem] = []
        parsed = []
        for source in sources:
            form, problems = parse_form(source.content.decode("utf-8"), name=source.name)
            self.problems.extend(problems)
            if form is not None and not problems:
                parsed.append((form, source))
        self._sources = {id(form): source for form, source in parsed}
        self.registry = FormRegistry(forms=[form for form, _ in parsed]) if not self.problems else FormRegistry()
        self._resolved: dict[str, DeployedForm | None] = {}

    def resolve(self, key: str) -> DeployedForm | None:
        """The stored form version ``key`` refers to (None if there is no such form anywhere)."""
        if key not in self._resolved:
            self._resolved[key] = self._find(key)
        return self._resolved[key]

    def _find(self, key: str) -> DeployedForm | None:
        form = self.registry.find(key)
        if form is not None:
            source = self._sources[id(form)]
            return self._store(form, source.name, source.content.decode("utf-8"))
        deployed = self.session.scalars(select(DeployedForm).where(
            or_(DeployedForm.key == form_name(key), DeployedForm.form_id == key.strip()))
            .order_by(DeployedForm.id.desc()).limit(1)).first()
        if deployed is not None:
            return deployed
        return self._from_folder(key)

    def _from_folder(self, key: str) -> DeployedForm | None:
        if self.forms_dir is None or not self.forms_dir.is_dir():
            return None
        path = self.forms_dir / f"{form_name(key)}{FORM_SUFFIX}"
        if not path.is_file():
            return None
        text = path.read_text(encoding="utf-8")
        form, problems = parse_form(text, name=str(path))
        self.problems.extend(problems)
        return self._store(form, str(path), text) if form is not None and not problems else None

    def _store(self, form: FormDefinition, name: str, text: str) -> DeployedForm:
        key = form_name(name)
        digest = hashlib.sha256(text.encode()).hexdigest()
        row = self.session.scalars(select(DeployedForm).where(DeployedForm.key == key,
                                                              DeployedForm.content_hash == digest)).first()
        if row is None:
            version = (self.session.scalar(select(func.max(DeployedForm.version)).where(DeployedForm.key == key))
                       or 0) + 1
            row = DeployedForm(key=key, form_id=form.id, version=version, name=name, content_hash=digest,
                               content=text, deployed_at=self.now)
            self.session.add(row)
            self.session.flush()
        return row


class FormStore:
    """Deployed form versions, parsed once and kept (a version never changes)."""

    def __init__(self) -> None:
        self._forms: dict[int, FormDefinition] = {}
        self._lock = threading.Lock()

    def get(self, conn: Connection | Session, form_version_id: int) -> FormDefinition:
        """The parsed definition of a deployed form version."""
        with self._lock:
            found = self._forms.get(form_version_id)
        if found is not None:
            return found
        row = conn.execute(select(DeployedForm.name, DeployedForm.content)
                           .where(DeployedForm.id == form_version_id)).one()
        form = load_form(row.content, name=row.name)
        with self._lock:
            self._forms[form_version_id] = form
        return form
