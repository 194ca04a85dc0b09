"""The task desk: one task as the person working on it sees it, each use case one call.

Nothing is shown of a case its user may not see (engine/cases/visibility.py): such a case, and any task of it, is
answered as missing (a NotFound) before anything else is read. A user may work on an open task assigned to them, or
offered to them, to one of their groups or to everyone (the inbox's rule, ``Queries.tasks(user=...)``);
:meth:`TaskDesk.open_task` applies it and says why not otherwise (the task is for other people, or closed: completed
by whom and when). The page, the draft and the completion go through it first. Completing takes the posted form as
it came (fields and files): the desk reads it against the form the case's version was deployed with, stores the
files as the case's attachments, and asks the runtime to complete the task, answering with everything needed to show
the form again when that is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from engine.cases.attachments import AttachmentService, Upload
from engine.cases.catalogue import ProcessCatalogue
from engine.cases.queries import InstanceView, Queries, TaskView
from engine.cases.story import HandOver, hand_over
from engine.cases.visibility import CaseAccess
from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied, ProcflowError, Stale
from engine.forms import FormDefinition, data_from_fields
from engine.i18n import N_
from engine.inbox.drafts import DraftService, DraftView
from engine.inbox.work import completed_by
from engine.persistence.repository import InstanceRecord
from engine.runtime.core import Runtime


@dataclass(frozen=True)
class DoneBy:
    """Who completed a task, and when."""

    actor: str | None
    at: datetime


class TaskClosed(NotFound):
    """The task is not open (any more); ``done`` says who completed it and when, if anyone did."""

    def __init__(self, task_id: str, done: DoneBy | None) -> None:
        if done is None:
            super().__init__(f"no open task {task_id}")
        else:
            super().__init__(f"task {task_id} was already completed by {done.actor} at "
                             f"{done.at.isoformat(timespec='seconds')}")
        self.task_id = task_id
        self.done = done


__all__ = ["Completion", "DoneBy", "Submission", "TaskClosed", "TaskDesk", "TaskOfOthers", "TaskPage", "Upload"]


class TaskOfOthers(PermissionDenied):
    """The task is open, but for other people or groups."""


@dataclass(frozen=True)
class Submission:
    """A posted task form: each field's texts by name, the files by field name, and the form element the page
    showed (so that what was typed can be shown again even when the task has gone meanwhile)."""

    fields: Mapping[str, Sequence[str]]
    files: Mapping[str, Sequence[Upload]] = field(default_factory=dict)
    element_id: str = ""
    # The user has confirmed the choices the form asks about again (a send-back, FormDefinition.to_confirm).
    confirmed: bool = False


@dataclass(frozen=True)
class TaskPage:
    """An open task with its case, its form and the user's draft of it; ``opening`` is the data the form opens
    with when there is no draft (the task's data without what the form asks anew, FormDefinition.opening_data);
    ``hand_overs`` how it came to its holder (delegated, reassigned, handed over), oldest first."""

    task: TaskView
    case: InstanceView
    form: FormDefinition | None
    draft: DraftView | None
    opening: dict[str, Any] = field(default_factory=dict)
    hand_overs: list[HandOver] = field(default_factory=list)


@dataclass(frozen=True)
class Completion:
    """How a completion ended: the case's record when done; otherwise why not, with what is needed to show the
    form again (the data as submitted, the case's data for read-only fields, the files refused per field)."""

    form: FormDefinition | None
    data: dict[str, Any]
    task: TaskView | None = None
    record: InstanceRecord | None = None
    error: ProcflowError | None = None
    file_errors: dict[str, list[str]] = field(default_factory=dict)
    case_data: dict[str, Any] = field(default_factory=dict)
    # Not completed yet: these choices ("label: option") are to be confirmed first (the files are kept already).
    to_confirm: list[str] = field(default_factory=list)


class TaskDesk:
    """Opens, shows, drafts and completes a task for the user working on it."""

    def __init__(self, *, queries: Queries, catalogue: ProcessCatalogue, attachments: AttachmentService,
                 drafts: DraftService, runtime: Runtime, access: CaseAccess) -> None:
        self.queries = queries
        self.access = access
        self.catalogue = catalogue
        self.attachments = attachments
        self.drafts = drafts
        self.runtime = runtime

    def open_task(self, user: str, instance_id: int, task_id: str) -> TaskView:
        """The open task ``task_id`` of case ``instance_id``, if ``user`` may work on it.

        Raises:
            NotFound: no such case, or ``user`` may not see it (the same error, CaseAccess.require).
            TaskOfOthers: the task is open but for other people or groups (a PermissionDenied).
            TaskClosed: no such open task in the case; it says who completed it, if anyone did (a NotFound).
        """
        with self.queries.db.connect() as conn:
            self.access.require(conn, user, instance_id)
        for task in self.queries.tasks(user=user, instance_id=instance_id):
            if task.id == task_id:
                return task
        if any(task.id == task_id for task in self.queries.tasks(instance_id=instance_id)):
            raise TaskOfOthers(f"task {task_id} is for other people or groups")
        raise TaskClosed(task_id, self._done(instance_id, task_id))

    def page(self, user: str, instance_id: int, task_id: str) -> TaskPage:
        """What the task's page shows: the task, its case (without history), its form, ``user``'s draft and the
        task's hand-overs.

        Raises:
            TaskOfOthers, TaskClosed: as :meth:`open_task`.
        """
        task = self.open_task(user, instance_id, task_id)
        case = self.queries.instance(instance_id, with_history=False)
        case = replace(case, data=self.queries.task_data(instance_id, task_id))  # what this branch holds
        form = self.catalogue.task_form(instance_id, task.element_id)
        # The task's data still holds what was entered the last time the case passed this way (a review repeated
        # after a return): the form asks for it anew, unless a field is marked ``keep``.
        opening = form.opening_data(case.data) if form else case.data
        moves = [m for m in map(hand_over, self.queries.task_history(task_id)) if m is not None]
        return TaskPage(task, case, form, self.drafts.load(task_id, user), opening, moves)

    def save_draft(self, user: str, instance_id: int, task_id: str,
                   fields: Mapping[str, Sequence[str]]) -> DraftView:
        """Keep what ``user`` has typed into the task's form so far (file pickers are not kept).

        Raises:
            TaskOfOthers, TaskClosed: as :meth:`open_task`; InvalidInput: the draft is too large.
        """
        task = self.open_task(user, instance_id, task_id)
        form = self.catalogue.task_form(instance_id, task.element_id)
        return self.drafts.save(task_id, user, data_from_fields(form, fields))

    def complete(self, user: str, instance_id: int, task_id: str, submission: Submission, *,
                 locale: str = "vi", expected: str | None = None) -> Completion:
        """Complete the task with the posted form: files first (as the case's attachments), then the data.

        A case ``user`` may not see is refused like a missing one, by raising NotFound, with nothing of it read.
        A choice the form wants confirmed (``confirm``, e.g. a send-back) and not yet confirmed completes nothing:
        :attr:`Completion.to_confirm` names it. Other refusals are not raised but answered in
        :attr:`Completion.error`: the task is for others or closed
        (``task`` is then None), a file was refused (``file_errors``; nothing completed), the form's validation
        (InvalidInput with messages per field in ``locale``), the case not running (InvalidState), or someone else
        completing it first (TaskClosed naming them) or changing the case at the same moment (Conflict), or the
        task no longer being at version ``expected`` (Stale; engine/runtime/versions.py).
        """
        with self.queries.db.connect() as conn:
            self.access.require(conn, user, instance_id)
        try:
            task = self.open_task(user, instance_id, task_id)
        except (TaskOfOthers, TaskClosed) as exc:
            form = self._form_or_none(instance_id, submission.element_id)
            return self._refused(instance_id, form, data_from_fields(form, submission.fields), exc)
        form = self.catalogue.task_form(instance_id, task.element_id)
        files, file_errors = self._store_files(form, user, instance_id, task_id, submission, locale)
        data = data_from_fields(form, submission.fields, files)
        if file_errors:
            error = InvalidInput(N_("some files could not be attached"), file_errors)
            return self._refused(instance_id, form, data, error, task=task, file_errors=file_errors)
        asked = form.to_confirm(data, locale) if form is not None and not submission.confirmed else []
        if asked:  # e.g. sending the work back: asked again before anything moves
            return Completion(form, data, task=task, case_data=self._case_data(instance_id), to_confirm=asked)
        try:
            record = self.runtime.complete_task(task_id, user=user, data=data, locale=locale, expected=expected)
        except Stale as exc:
            return self._refused(instance_id, form, data, exc, task=task)
        except Conflict as exc:
            done = self._done(instance_id, task_id)
            return self._refused(instance_id, form, data, TaskClosed(task_id, done) if done else exc, task=task)
        except ProcflowError as exc:
            return self._refused(instance_id, form, data, exc, task=task)
        return Completion(form, data, task=task, record=record)

    def _refused(self, instance_id: int, form: FormDefinition | None, data: dict[str, Any], error: ProcflowError,
                 **more: Any) -> Completion:
        return Completion(form, data, error=error, case_data=self._case_data(instance_id), **more)

    def _store_files(self, form: FormDefinition | None, user: str, instance_id: int, task_id: str,
                     submission: Submission, locale: str) -> tuple[dict[str, Any], dict[str, list[str]]]:
        """Attach the uploaded files to the case; give each file picker its values (kept ones and new ones)."""
        pickers = [c for c in (form.input_fields if form else ()) if c.type == "filepicker"]
        if not pickers:
            return {}, {}
        known = {a.sha256: a for a in self.attachments.list_for(instance_id, user)}
        values: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        for picker in pickers:
            name = picker.name or ""
            chosen = [known[digest].file_value() for digest in submission.fields.get(name, ()) if digest in known]
            for upload in submission.files.get(name, ()):
                if not upload.filename:
                    continue
                try:
                    chosen.append(self.attachments.add(instance_id, user, upload.filename, upload.stream,
                                                       task_id=task_id).file_value())
                except InvalidInput as exc:
                    errors.setdefault(name, []).append(exc.render(locale))
            values[name] = chosen if picker.constraints.multiple else (chosen[-1] if chosen else None)
        return values, errors

    def _form_or_none(self, instance_id: int, element_id: str) -> FormDefinition | None:
        """The form of the case's element ``element_id``, to show what was typed; None if there is none."""
        try:
            return self.catalogue.task_form(instance_id, element_id) if element_id else None
        except NotFound:
            return None

    def _case_data(self, instance_id: int) -> dict[str, Any]:
        """The case's current data, for the read-only fields of a form shown again (only ever called after
        CaseAccess.require has let the user see the case)."""
        try:
            return self.queries.instance(instance_id, with_history=False).data
        except NotFound:
            return {}

    def _done(self, instance_id: int, task_id: str) -> DoneBy | None:
        with self.queries.db.connect() as conn:
            found = completed_by(conn, task_id, instance_id)
        return DoneBy(*found) if found else None
