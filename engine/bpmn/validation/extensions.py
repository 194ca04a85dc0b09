"""Camunda 7/8 extensions procflow cannot honour (see engine.bpmn.validation and engine.bpmn.camunda).

* E080 an assignee, candidate users or candidate groups expression that cannot be translated exactly: the
  task would be offered to the wrong people, so deploy refuses rather than offer it to anyone
* E081 an assignment extension procflow does not understand (an unknown ``zeebe:assignmentDefinition``
  attribute; BPMN resource roles such as ``potentialOwner`` on a task nothing else assigns)
* E083 a service task's ``zeebe:taskDefinition type`` names no handler registered in engine.handlers
* W160 (a warning, lint shows it) an extension procflow reads but does not act on: it is ignored
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from engine.bpmn.camunda import CAMUNDA_NS, ZEEBE_ASSIGNMENT, expression, zeebe
from engine.bpmn.handler_tasks import task_type
from engine.bpmn.metadata import PROCFLOW_NS
from engine.bpmn.validation.model import Element, ParsedFile, bpmn_tag
from engine.errors import ModelProblem
from engine.handlers import HANDLERS

_NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "camunda": CAMUNDA_NS,
       "zeebe": "http://camunda.org/schema/zeebe/1.0"}
RESOURCE_ROLES = ("potentialOwner", "humanPerformer", "performer")
# (xpath under the element, what is ignored and why)
IGNORED = [
    ("@camunda:priority", "camunda:priority (procflow orders tasks by deadline and urgency)"),
    ("@camunda:followUpDate", "camunda:followUpDate (use procflow:reminder)"),
    ("bpmn:extensionElements/zeebe:taskSchedule/@followUpDate", "zeebe:taskSchedule followUpDate (use "
                                                                 "procflow:reminder)"),
    ("@camunda:historyTimeToLive", "camunda:historyTimeToLive (procflow keeps history by its own retention)"),
    ("bpmn:extensionElements/camunda:taskListener", "camunda:taskListener (procflow runs no Java listeners)"),
    ("bpmn:extensionElements/camunda:executionListener", "camunda:executionListener (procflow runs no Java "
                                                          "listeners)"),
    ("bpmn:extensionElements/camunda:in[@businessKey]",
     "camunda:in businessKey (a called case has its own business key)"),
    ("bpmn:extensionElements/camunda:in[@local='true'] | bpmn:extensionElements/camunda:out[@local='true']",
     "camunda:in/out local=\"true\" (procflow maps the variables of the whole case)"),
    ("@camunda:calledElementBinding[. != 'deployment']",
     "camunda:calledElementBinding (procflow binds the called process's version at deploy time)"),
]


def check_assignment(parsed: ParsedFile, task: Element) -> Iterator[ModelProblem]:
    """E080/E081: who may do a user task is never guessed."""
    for attribute in ("assignee", "candidateUsers", "candidateGroups"):
        value = task.get(f"{{{CAMUNDA_NS}}}{attribute}")
        if value is not None and expression(value) is None:
            yield _untranslatable(parsed, task, f"camunda:{attribute}", value)
    definition = task.find(f"{bpmn_tag('extensionElements')}/{{{_NS['zeebe']}}}assignmentDefinition")
    if definition is not None:
        for attribute, value in definition.attrib.items():
            if attribute not in ZEEBE_ASSIGNMENT:
                yield parsed.problem("E081", task, f"zeebe:assignmentDefinition {attribute} is not understood by "
                                                   f"procflow; who may do this task cannot be honoured",
                                     at=definition)
            elif expression(value) is None:
                yield _untranslatable(parsed, task, f"zeebe:assignmentDefinition {attribute}", value, definition)
    if _assigned(task):
        return
    for role in RESOURCE_ROLES:
        for node in task.iterfind(bpmn_tag(role)):
            yield parsed.problem("E081", task, f"bpmn:{role} is not understood by procflow; give the task "
                                               f"candidate groups (procflow:candidateGroups, "
                                               f"camunda:candidateGroups or zeebe:assignmentDefinition) or a lane",
                                 at=node)


def _assigned(task: Element) -> bool:
    names = [f"{{{ns}}}{a}" for ns in (CAMUNDA_NS, PROCFLOW_NS) for a in ("assignee", "candidateUsers",
                                                                           "candidateGroups")]
    return any(task.get(name) for name in names) or zeebe(task, "assignmentDefinition", "candidateGroups") \
        is not None or zeebe(task, "assignmentDefinition", "assignee") is not None


def _untranslatable(parsed: ParsedFile, task: Element, what: str, value: str,
                    at: Element | None = None) -> ModelProblem:
    return parsed.problem("E080", task, f"{what} {value!r} cannot be honoured: procflow understands names, "
                                        f"${{variable}} and =variable (a FEEL list of names too); the task "
                                        f"would be offered to the wrong people", at=at)


def check_handler(parsed: ParsedFile, task: Element) -> Iterator[ModelProblem]:
    """E083: a service task's ``zeebe:taskDefinition type`` names a registered handler."""
    name = task_type(task)
    if name is not None and name not in HANDLERS:
        known = ", ".join(sorted(HANDLERS)) or "none"
        yield parsed.problem("E083", task, f"zeebe:taskDefinition type {name!r} names no handler registered in "
                                           f"procflow (registered: {known})")


def check_ignored(parsed: ParsedFile, element: Element) -> Iterator[ModelProblem]:
    """W160: extensions procflow reads past; lint names each so a designer knows it has no effect."""
    for path, what in IGNORED:
        found = element.xpath(path, namespaces=_NS)
        if found:
            at = found[0] if hasattr(found[0], "sourceline") else element
            yield replace(parsed.problem("W160", element, f"{what} is ignored", at=at), severity="warning")


IGNORED_ON = ("process", "userTask", "callActivity", "serviceTask", "task", "scriptTask", "sendTask",
              "receiveTask", "businessRuleTask", "manualTask", "subProcess")
