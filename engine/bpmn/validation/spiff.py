"""SpiffWorkflow's own verdict on a model (E050, see engine.bpmn.validation), asked only when no other check failed.

The files are loaded with ProcflowParser exactly as deploy will load them, and whatever it raises is located
by the element id it names, since SpiffWorkflow's own line numbers are usually empty.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from engine.bpmn.parser import ProcflowParser
from engine.bpmn.validation.deployable import runnable
from engine.bpmn.validation.model import Element, ParsedFile, bpmn_tag
from engine.errors import ModelProblem


class _ValidationParser(ProcflowParser):
    """ProcflowParser that lets calls name processes and decisions deployed earlier (not in this batch)."""

    def __init__(self, deployed_processes: set[str], deployed_decisions: set[str]) -> None:
        super().__init__(validate_schema=True)
        self.deployed_processes = deployed_processes
        self.deployed_decisions = deployed_decisions

    def get_spec(self, process_id: str, required: bool = True) -> Any:
        if process_id not in self.process_parsers and process_id in self.deployed_processes:
            return None  # deploy adds the stored file; the reference itself was checked (E040)
        return super().get_spec(process_id, required)

    def get_engine(self, decision_ref: str, node: Element) -> Any:
        if decision_ref not in self.decision_files and decision_ref in self.deployed_decisions:
            return None  # likewise (E041)
        return super().get_engine(decision_ref, node)


def spiff_problems(files: list[ParsedFile], known_processes: set[str],
                    known_decisions: set[str]) -> list[ModelProblem]:
    """E050: load everything with ProcflowParser, as deploy will, and report what it refuses."""
    parser = _ValidationParser(known_processes, known_decisions)
    problems: list[ModelProblem] = []
    for parsed in files:
        if parsed.kind == "bpmn" and not _entry_ids(parsed):
            continue  # descriptive processes, black boxes: deploy never hands them to SpiffWorkflow
        add = parser.add_dmn_xml if parsed.kind == "dmn" else parser.add_bpmn_xml
        problems.extend(_attempt(files, parsed, None, add, parsed.root, filename=parsed.name))
    if problems:
        return problems
    for parsed in files:
        for entry in _entry_ids(parsed):
            problems.extend(_attempt(files, parsed, entry, _load_entry, parser, parsed.kind, entry))
    return list(dict.fromkeys(problems))  # a process called by two others fails twice


def _load_entry(parser: _ValidationParser, kind: str, entry: str) -> None:
    """Build the decision engine, or the process spec with every spec it calls, as deploy will."""
    if kind == "dmn":
        parser.get_engine(entry, None)
    else:
        parser.get_subprocess_specs(entry)


def _entry_ids(parsed: ParsedFile) -> list[str]:
    """What deploy loads from a file: executable processes that can start, or a DMN file's decisions."""
    if parsed.kind == "dmn":
        return [d.get("id") for d in parsed.root.iter("{*}decision")]
    processes = parsed.root.iter(bpmn_tag("process"))
    return [p.get("id") for p in processes if runnable(p)]


def _attempt(files: list[ParsedFile], parsed: ParsedFile, entry: str | None, action: Callable[..., Any],
             *args: Any, **kwargs: Any) -> list[ModelProblem]:
    """Run one parser step and turn whatever it raises into a located problem."""
    try:
        action(*args, **kwargs)
    except Exception as error:  # beyond ValidationException, SpiffWorkflow lets KeyError, TypeError... escape
        return [_from_spiff(files, parsed, entry, error)]
    return []


def _from_spiff(files: list[ParsedFile], parsed: ParsedFile, entry: str | None,
                error: Exception) -> ModelProblem:
    """Locate a SpiffWorkflow error by the element id it names (its own line numbers are usually empty)."""
    element_id = getattr(error, "id", "") or entry
    file_name = getattr(error, "file_name", "")
    candidates = [f for f in files if f.name == file_name] + [parsed, *files]
    owner = next((f for f in candidates if element_id in f.ids), candidates[0])
    element = owner.ids.get(element_id) if element_id else None
    text = error.args[0] if isinstance(error, ValidationException) and error.args else f"{error!r}"
    return ModelProblem(owner.name, element.sourceline if element is not None else None, element_id,
                        f"SpiffWorkflow refuses this: {text}", code="E050")
