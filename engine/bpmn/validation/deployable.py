"""What a BPMN file gives deploy to run (see engine.bpmn.validation), so nothing is skipped without a word.

* E007 the file has nothing to deploy: no process with flow nodes (a collaboration of black-box pools, or
  empty definitions)
* E008 an executable process has flow nodes but neither a start event nor a receive task that instantiates it
* E009 an executable process uses a data store: procflow keeps a case's data in the case, it has no data stores

A process marked ``isExecutable="false"`` is descriptive: it is stored as a diagram, checked against the
specification, but not run, so execution details (conditions, scripts, timers, calls, SpiffWorkflow's verdict)
are not required of it; deploy says so in one line.
"""

from __future__ import annotations

from collections.abc import Iterator

from engine.bpmn.parsing import has_start
from engine.bpmn.validation.model import Element, ParsedFile, bpmn_tag, local_name
from engine.bpmn.validation.spec_flows import FLOW_NODES
from engine.errors import ModelProblem

# Problems that only matter for a process that runs.
EXECUTION_CODES = frozenset({"E020", "E030", "E031", "E040", "E041", "E050", "E080", "E081", "E083", "W160"})


def is_executable(process: Element) -> bool:
    """False only for a process marked ``isExecutable="false"`` (descriptive: a diagram, not run)."""
    return str(process.get("isExecutable", "true")).strip().lower() != "false"


def has_flow_nodes(process: Element) -> bool:
    """True when the process draws anything to run (a black-box pool's process has no flow nodes)."""
    return any(isinstance(n.tag, str) and local_name(n) in FLOW_NODES for n in process)


def runnable(process: Element) -> bool:
    """An executable process with flow nodes and a way to start: deploy stores a version of it."""
    return is_executable(process) and has_flow_nodes(process) and has_start(process)


def check_deployable(parsed: ParsedFile) -> Iterator[ModelProblem]:
    """E007/E008: the file has something to deploy, and each executable process can start."""
    if parsed.kind != "bpmn":
        return
    processes = list(parsed.root.iterfind(bpmn_tag("process")))
    drawn = [p for p in processes if has_flow_nodes(p)]
    if not drawn:
        what = "only a collaboration of black-box pools" if parsed.root.find(bpmn_tag("collaboration")) is not None \
            else "no process"
        yield parsed.problem("E007", parsed.root, f"nothing to deploy: the file has {what} (no process with "
                                                  f"flow nodes)")
    for process in drawn:
        if is_executable(process) and not has_start(process):
            yield parsed.problem("E008", process, "the process has no start event (nor a receive task with "
                                                  "instantiate=\"true\" and no incoming flow), so it can never "
                                                  "start; add one, or mark the process isExecutable=\"false\"")


def check_data_store(parsed: ParsedFile, reference: Element) -> Iterator[ModelProblem]:
    """E009: a data store cannot be used by a process that runs (SpiffWorkflow needs an implementation of it)."""
    process = next(reference.iterancestors(bpmn_tag("process")), None)
    if process is not None and is_executable(process):
        yield parsed.problem("E009", reference, f"procflow has no data stores: data store "
                                                f"{reference.get('dataStoreRef')} cannot be used in a process that "
                                                f"runs; use a data object, or mark the process "
                                                f"isExecutable=\"false\"")


def descriptive_element(parsed: ParsedFile, element_id: str | None) -> bool:
    """True when ``element_id`` lies in (or is) a process marked not executable."""
    element = parsed.ids.get(element_id or "")
    if element is None:
        return False
    process = element if element.tag == bpmn_tag("process") else next(
        element.iterancestors(bpmn_tag("process")), None)
    return process is not None and not is_executable(process)


def skipped_note(process: Element) -> str:
    """The one line deploy prints for a process it stores only as a diagram."""
    return "not executable (isExecutable=\"false\"): stored as a diagram, not run"
