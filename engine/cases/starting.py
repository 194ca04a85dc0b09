"""Starting a case with its start form's files: the web start page, the API and ``procflow start --file``.

A start form may ask for files (the incoming document's PDF at registration). Its case does not exist when the
files arrive, so each upload is checked (name, type by extension and content, size) and its content kept by
digest first (AttachmentService.receive); the form's data names them by their file values, the runtime validates
the data against the form as for any start, and the files become the case's attachments in the very transaction
that creates the case, before the start's document actions run (``Runtime.start(on_created=...)``). A refused
start records nothing: no case, no attachment row (the kept content is only a file named by its digest).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from engine.cases.attachments import AttachmentService, ReceivedFile, Upload
from engine.cases.catalogue import ProcessCatalogue
from engine.errors import InvalidInput
from engine.forms import FormDefinition, validate_submission
from engine.i18n import N_
from engine.runtime.core import Runtime

FILES_REFUSED = N_("Some files could not be attached; check the marked fields.")


class CaseStarter:
    """Starts cases whose start form carries files."""

    def __init__(self, *, runtime: Runtime, catalogue: ProcessCatalogue, attachments: AttachmentService) -> None:
        self.runtime = runtime
        self.catalogue = catalogue
        self.attachments = attachments

    def start(self, process_id: str, *, user: str | None, data: dict[str, Any],
              files: Mapping[str, Sequence[Upload]] | None = None, business_key: str | None = None,
              locale: str = "vi") -> int:
        """Start a case of ``process_id`` as ``user`` with ``data`` and the files uploaded for the start form's
        file pickers (by field name); return the case's id.

        Raises:
            InvalidInput: a file refused (messages per field in ``locale``), a file sent for a field that is not a
                file picker of the start form, or the form's validation (as Runtime.start).
            NotFound, PermissionDenied, Conflict: as Runtime.start.
        """
        form = self.catalogue.start_form(process_id)
        received, data = self._receive(form, dict(data), files or {}, locale)

        def record(conn: Any, instance_id: int) -> None:
            self.attachments.record_received(conn, instance_id, user, received)

        return self.runtime.start(process_id, data=data, business_key=business_key, user=user, locale=locale,
                                  on_created=record if received else None)

    def _receive(self, form: FormDefinition | None, data: dict[str, Any], files: Mapping[str, Sequence[Upload]],
                 locale: str) -> tuple[list[ReceivedFile], dict[str, Any]]:
        """Check and keep the uploads; give each file picker the values of its files."""
        pickers = {c.name: c for c in (form.input_fields if form else ()) if c.type == "filepicker" and c.name}
        received: list[ReceivedFile] = []
        errors: dict[str, list[str]] = {}
        for name, uploads in files.items():
            uploads = [u for u in uploads if u.filename]
            if not uploads:
                continue
            picker = pickers.get(name)
            if picker is None:
                errors.setdefault(name, []).append(InvalidInput(N_("this field takes no file")).render(locale))
                continue
            values = []
            for upload in uploads:
                try:
                    kept = self.attachments.receive(upload.filename, upload.stream)
                except InvalidInput as exc:
                    errors.setdefault(name, []).append(exc.render(locale))
                    continue
                received.append(kept)
                values.append(kept.file_value())
            if values:
                data[name] = values if picker.constraints.multiple else values[-1]
        if errors:  # every problem at once: the form's own messages too, so that one correction is enough
            raise InvalidInput(FILES_REFUSED, {**self._form_problems(form, data, locale), **errors})
        return received, data

    def _form_problems(self, form: FormDefinition | None, data: dict[str, Any], locale: str) -> dict[str, list[str]]:
        """The form's messages for ``data`` (its refused files left out), as the runtime's validation would give."""
        if form is None:
            return {}
        now = self.runtime.clock.now().astimezone(ZoneInfo(self.runtime.timezone))
        try:
            validate_submission(form, data, locale=locale, now=now)
        except InvalidInput as exc:
            return exc.fields
        return {}
