"""Finding the form a user task names, however the designer's modeller wrote the reference."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from engine.errors import InvalidInput, InvalidModel, ModelProblem, NotFound
from engine.forms.definition import FormDefinition
from engine.forms.loader import parse_form
from engine.i18n import N_

FORM_SUFFIX = ".form"
# Camunda 7 writes "camunda-forms:deployment:<file>" (or ":app:<path>"); procflow and Camunda 8 write the name or id.
_PREFIXES = ("camunda-forms:deployment:", "camunda-forms:app:")
_EMBEDDED = "camunda-forms:bpmn:"


def form_name(key: str) -> str:
    """Reduce a form reference to the name looked up in the registry.

    ``incoming_register``, ``incoming_register.form``, ``forms/incoming_register.form`` and
    ``camunda-forms:deployment:incoming_register.form`` all give ``incoming_register``.
    """
    name = key.strip()
    for prefix in _PREFIXES:
        if name.startswith(prefix):
            name = name[len(prefix):]
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    return name.removesuffix(FORM_SUFFIX)


class FormRegistry:
    """The forms of a folder (every ``*.form`` below it), found by file name or by form id."""

    def __init__(self, forms_dir: str | Path | None = None, *, forms: Iterable[FormDefinition] = ()) -> None:
        """Load every form below ``forms_dir`` (if given) and add ``forms``.

        Raises:
            InvalidModel: with every located problem of every file; no registry is built.
            InvalidInput: if ``forms_dir`` is not a folder.
        """
        self.forms_dir = Path(forms_dir) if forms_dir is not None else None
        loaded = list(forms)
        problems: list[ModelProblem] = []
        if self.forms_dir is not None:
            found, problems = _load_folder(self.forms_dir)
            loaded.extend(found)
        self._forms: dict[str, FormDefinition] = {}
        problems.extend(self._index(loaded))
        if problems:
            raise InvalidModel(problems)

    def _index(self, forms: Iterable[FormDefinition]) -> list[ModelProblem]:
        """Index forms under their file name and their id; report names that would find two forms."""
        problems = []
        for form in forms:
            # A form read from text has no file name to be found by (its name is "<form>" or a label).
            file_name = (form_name(form.name),) if form.name.endswith(FORM_SUFFIX) else ()
            for name in dict.fromkeys((*file_name, form.id)):
                other = self._forms.setdefault(name, form)
                if other is not form:
                    problems.append(ModelProblem(form.name, None, form.id,
                                                 f"form name or id {name!r} is also used by {other.name}",
                                                 code="F013"))
        return problems

    def find(self, key: str) -> FormDefinition | None:
        """Return the form ``key`` refers to, or ``None``."""
        return self._forms.get(form_name(key)) or self._forms.get(key.strip())

    def get(self, key: str) -> FormDefinition:
        """Return the form ``key`` refers to.

        Args:
            key: as written on the user task: ``incoming_register``, ``incoming_register.form``,
                ``camunda-forms:deployment:incoming_register.form``, or a form id (Camunda 8 ``formId``).

        Raises:
            NotFound: if no form has that name or id.
        """
        form = self.find(key)
        if form is not None:
            return form
        if key.strip().startswith(_EMBEDDED):
            raise NotFound(N_("form '{key}' is embedded in the BPMN file, which procflow does not support; save it as "
                              "a {suffix} file and reference it by name"), key=key, suffix=FORM_SUFFIX)
        raise NotFound(N_("no form '{key}' (looked for {name}{suffix} or a form with that id)"), key=key,
                       name=form_name(key), suffix=FORM_SUFFIX)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.find(key) is not None

    def __iter__(self) -> Iterator[FormDefinition]:
        # Each form is indexed under its name and its id; list it once (by identity: forms need not be hashable).
        return iter({id(form): form for form in self._forms.values()}.values())

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _load_folder(folder: Path) -> tuple[list[FormDefinition], list[ModelProblem]]:
    """Load every form file below ``folder``, sorted, collecting the problems of all of them."""
    if not folder.is_dir():
        raise InvalidInput(N_("{folder}: no such forms folder"), folder=folder)
    forms: list[FormDefinition] = []
    problems: list[ModelProblem] = []
    for path in sorted(folder.rglob(f"*{FORM_SUFFIX}")):
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
        form, found = parse_form(text, name=str(path))
        problems.extend(found)
        if form is not None and not found:
            forms.append(form)
    return forms, problems
