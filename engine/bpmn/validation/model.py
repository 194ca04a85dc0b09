"""The model files deploy-time validation reads (see engine.bpmn.validation), and the tables of checks it runs.

A :class:`SourceFile` is loaded (E001 when it is not well-formed XML, E004 when it is not the kind of model its
name says) into a :class:`ParsedFile`, which indexes its elements by id and its sequence flows by source for
the checks. The checks themselves live in the other ``validation_*`` modules; engine.bpmn.validation puts
them in ``FILE_CHECKS``, ``BATCH_CHECKS`` and ``ELEMENT_CHECKS`` (by tag, with :func:`register`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from engine.bpmn.metadata import BPMN_NS
from engine.errors import InvalidModel, ModelProblem
from engine.inputs.safe_xml import parse_xml


@dataclass(frozen=True)
class SourceFile:
    """A model file to deploy: its name as the user gave it and its bytes."""

    name: str
    content: bytes


Element = Any  # lxml ships no type hints


@dataclass(frozen=True, eq=False)
class ParsedFile:
    """One well-formed model file with indexes the checks share."""

    name: str
    content: bytes
    root: Element
    kind: str  # "bpmn" or "dmn"
    processes: frozenset[str]  # callable: defined in the batch or deployed
    decisions: frozenset[str]
    ids: dict[str, Element] = field(default_factory=dict)
    outgoing: dict[str, list[Element]] = field(default_factory=dict)  # sequence flows by sourceRef
    incoming: dict[str, list[Element]] = field(default_factory=dict)  # sequence flows by targetRef

    def problem(self, code: str, owner: Element, message: str, at: Element | None = None,
                line: int | None = None) -> ModelProblem:
        """Build a problem about ``owner``, located at ``line``, else at ``at``, else at ``owner``."""
        where = line or (at if at is not None else owner).sourceline
        return ModelProblem(self.name, where, owner.get("id"), message, code=code)

    def problems(self) -> Iterator[ModelProblem]:
        """Run the file checks and every element check registered for a tag in this file."""
        for file_check in FILE_CHECKS:
            yield from file_check(self)
        for element in self.root.iter(etree.Element):
            for check in ELEMENT_CHECKS.get(element.tag, ()):
                yield from check(self, element)


def load_source(source: SourceFile) -> tuple[Element | None, ModelProblem | None]:
    """Parse ``source`` as XML and make sure it is the kind of model its name says."""
    source = as_utf8(source)
    try:
        root = parse_xml(source.content, name=source.name)
    except InvalidModel as refused:  # a DOCTYPE declaring entities (engine/inputs/safe_xml.py)
        return None, refused.problems[0]
    except etree.XMLSyntaxError as error:
        entry = error.error_log[0] if error.error_log else None
        message = entry.message if entry is not None else str(error)
        return None, ModelProblem(source.name, error.lineno, None, f"not well-formed XML: {message}",
                                  code="E001", column=error.offset)
    expected = "dmn" if source.name.lower().endswith(".dmn") else "bpmn"
    found = _kind(root)
    if found != expected:
        what = f"{found.upper()} definitions" if found else f"<{etree.QName(root).localname}>"
        return None, ModelProblem(source.name, root.sourceline, root.get("id"),
                                  f"expected {expected.upper()} definitions, found {what}", code="E004")
    return root, None


_PROLOG = re.compile(rb"""^(\s*<\?xml[^>]*?encoding\s*=\s*["'])([A-Za-z0-9._-]+)(["'])""")


def as_utf8(source: SourceFile) -> SourceFile:
    """``source`` in UTF-8, whatever encoding its XML prolog declares (ISO-8859-1, windows-1258...).

    Lines stay where they were, so problems keep their line numbers; a file whose declared encoding is
    unknown or does not decode is left as it is, for E001 to report.
    """
    match = _PROLOG.match(source.content)
    if match is None or match.group(2).decode().lower().replace("_", "-") in ("utf-8", "utf8"):
        return source
    try:
        text = source.content.decode(match.group(2).decode())
    except (LookupError, UnicodeDecodeError):
        return source
    head = f"{match.group(1).decode()}UTF-8{match.group(3).decode()}"
    # windows-1258 writes most Vietnamese letters as a base and a combining tone mark: compose them, as
    # the rest of procflow (search, group names) has them
    return SourceFile(source.name, unicodedata.normalize("NFC", head + text[match.end():]).encode("utf-8"))


def _kind(root: Element) -> str | None:
    qname = etree.QName(root)
    if qname.localname != "definitions":
        return None
    if qname.namespace == BPMN_NS:
        return "bpmn"
    return "dmn" if "/spec/DMN/" in (qname.namespace or "") else None


def parse_all(roots: list[tuple[SourceFile, Element]], known_processes: set[str],
              known_decisions: set[str]) -> list[ParsedFile]:
    """Index every file, with the ids of processes and decisions a call may name."""
    processes = known_processes | {p.get("id") for _, root in roots for p in root.iter(bpmn_tag("process"))}
    decisions = known_decisions | {d.get("id") for _, root in roots for d in root.iter("{*}decision")
                                   if _kind(root) == "dmn"}
    parsed = []
    for source, root in roots:
        one = ParsedFile(source.name, source.content, root, _kind(root) or "bpmn", frozenset(processes),
                         frozenset(decisions))
        for element in root.iter(etree.Element):
            if element.get("id") is not None:
                one.ids.setdefault(element.get("id"), element)
            if element.tag == bpmn_tag("sequenceFlow"):
                one.outgoing.setdefault(element.get("sourceRef"), []).append(element)
                one.incoming.setdefault(element.get("targetRef"), []).append(element)
        parsed.append(one)
    return parsed


def bpmn_tag(name: str) -> str:
    """The Clark notation (``{namespace}name``) of the BPMN element ``name``."""
    return f"{{{BPMN_NS}}}{name}"


def local_name(element: Element) -> str:
    """The tag of ``element`` without its namespace."""
    return str(etree.QName(element).localname)


def owner_of(element: Element) -> Element:
    """The nearest ancestor a user would name: skips event definitions, loops and extension elements."""
    for ancestor in element.iterancestors():
        name = local_name(ancestor)
        if ancestor.get("id") and not name.endswith(("EventDefinition", "LoopCharacteristics")):
            return ancestor
    return element.getparent()


# -- the tables -----------------------------------------------------------------------------------
ElementCheck = Callable[[ParsedFile, Element], Iterable[ModelProblem]]
FileCheck = Callable[[ParsedFile], Iterable[ModelProblem]]
BatchCheck = Callable[[Sequence[ParsedFile]], Iterable[ModelProblem]]

FILE_CHECKS: list[FileCheck] = []
BATCH_CHECKS: list[BatchCheck] = []
ELEMENT_CHECKS: dict[str, list[ElementCheck]] = {}


def register(check: ElementCheck, *tags: str) -> None:
    """Run ``check`` on every element with one of ``tags`` (Clark notation, ``{namespace}name``)."""
    for tag in tags:
        ELEMENT_CHECKS.setdefault(tag, []).append(check)
