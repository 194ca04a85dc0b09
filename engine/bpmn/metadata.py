"""What procflow reads from a model besides what SpiffWorkflow executes: lanes, groups, forms, deadlines.

Understood on user and manual tasks (first match wins, in this order):

* procflow's own namespace ``https://procflow.dev/bpmn`` (prefix ``procflow``): attributes
  ``candidateGroups``, ``candidateUsers``, ``assignee``, ``form``, ``due``, ``reminder``, ``reassignAfter``,
  ``escalateTo`` (whom an overdue task goes to; see engine/timers/escalation.py);
* Camunda Modeler's ``camunda:candidateGroups``, ``camunda:candidateUsers``, ``camunda:assignee``,
  ``camunda:formKey``/``camunda:formRef``, ``camunda:dueDate`` (Camunda 7), and Camunda 8's
  ``zeebe:assignmentDefinition``, ``zeebe:taskSchedule dueDate`` and ``zeebe:formDefinition``
  (see engine.bpmn.camunda, which translates ``=variable`` and ``${variable}``);
* SpiffArena's ``spiffworkflow:properties`` with properties of the same names as procflow's;
* Camunda Modeler's "Extension properties" (``camunda:properties``), under procflow's names — the way
  to set procflow's attributes from the modeler's properties panel without editing XML.

On the process (or its extension properties): ``starterGroups``, ``refuseIf`` and ``refuseMessage``
(a condition on the start data that refuses the start with that message), ``businessKey`` (an
expression computing the case's business key from the start data) and ``uniqueBusinessKey``
(``true``: a second running or completed case with the same key is refused as a duplicate),
``title`` (an expression over the case data giving the case's title, which every list, notification and
export shows, e.g. the document's abstract; ``summary`` is its older name and still read), ``urgency`` (an
expression giving the case's urgency: ``flash``, ``top_urgent``, ``urgent``, ``normal`` or their Vietnamese
names; see engine/persistence/case_fields.py).

A task without explicit candidate groups is offered to the group its lane names.

On any flow node (start event, user task, script task ...): ``procflow:document`` extension elements, the
document actions the node performs when it completes (their meaning is engine/documents/extension.py's; here
they are only read: each element's attributes, and its ``procflow:field name=... from=...`` children).
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from engine.bpmn.camunda import expression, zeebe_task_values

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
PROCFLOW_NS = "https://procflow.dev/bpmn"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS, "procflow": PROCFLOW_NS, "spiffworkflow": SPIFF_NS}

HUMAN_TASKS = ("userTask", "manualTask")

# our attribute -> (camunda attribute, spiff property)
_ATTRIBUTES = {
    "candidateGroups": "candidateGroups",
    "candidateUsers": "candidateUsers",
    "assignee": "assignee",
    "form": "formKey",  # or camunda:formRef (below)
    "due": "dueDate",
    "reminder": None,
    "reassignAfter": None,
    "escalateTo": None,
    "sticky": None,
}


def process_metadata(root: Any, process_id: str) -> dict[str, Any]:
    """Return ``{"name", "documentation", "tasks": {element_id: {...}}}`` for one process of a parsed file."""
    process = root.find(f".//{{{BPMN_NS}}}process[@id='{process_id}']")
    if process is None:
        return {"name": process_id, "documentation": "", "tasks": {}}
    lanes = _lanes_by_node(process)
    tasks = {}
    for tag in HUMAN_TASKS:
        for node in process.iter(f"{{{BPMN_NS}}}{tag}"):
            tasks[node.get("id")] = task_metadata(node, lanes.get(node.get("id")))
    props = {**_camunda_properties(process), **_spiff_properties(process)}

    def attribute(name: str) -> str | None:
        return process.get(f"{{{PROCFLOW_NS}}}{name}") or props.get(name)

    return {
        "name": process.get("name") or _participant_name(root, process_id) or process_id,
        "documentation": _documentation(process),
        "starter_groups": _split(process.get(f"{{{CAMUNDA_NS}}}candidateStarterGroups")
                                 or attribute("starterGroups")),
        "start": {
            "refuse_if": attribute("refuseIf"),
            "refuse_message": attribute("refuseMessage"),
            "business_key": attribute("businessKey"),
            "unique_business_key": (attribute("uniqueBusinessKey") or "").lower() in ("true", "1", "yes"),
            "form": _start_form(process),
        },
        # The case's title; ``summary`` is its older name, still read.
        "summary": attribute("title") or attribute("summary"),
        "urgency": attribute("urgency"),
        "tasks": tasks,
        "documents": document_actions(process),
    }


def document_actions(process: Any) -> dict[str, list[dict[str, Any]]]:
    """The ``procflow:document`` extension elements of every flow node of ``process``, by element id."""
    found: dict[str, list[dict[str, Any]]] = {}
    for node in process.xpath(".//bpmn:extensionElements/procflow:document", namespaces=NS):
        owner = node.getparent().getparent()
        action: dict[str, Any] = {k: v for k, v in node.attrib.items() if isinstance(k, str) and "}" not in k}
        action["fields"] = {f.get("name"): f.get("from") for f in node.findall(f"{{{PROCFLOW_NS}}}field")
                            if f.get("name") and f.get("from")}
        action["line"] = node.sourceline
        found.setdefault(owner.get("id"), []).append(action)
    return found


def task_metadata(node: Any, lane: str | None) -> dict[str, Any]:
    """Read one human task's metadata from its XML element."""
    props = {**_camunda_properties(node), **_spiff_properties(node)}
    zeebe = zeebe_task_values(node)
    values: dict[str, str | None] = {}
    for ours, camunda in _ATTRIBUTES.items():
        values[ours] = (
            node.get(f"{{{PROCFLOW_NS}}}{ours}")
            or (_camunda(node, camunda) if camunda else None)
            or zeebe.get(ours)
            or props.get(ours)
            or (props.get(camunda) if camunda else None)
        )
    values["form"] = values["form"] or node.get(f"{{{CAMUNDA_NS}}}formRef")
    return {
        "name": node.get("name") or node.get("id"),
        "type": etree.QName(node).localname,
        "lane": lane,
        "candidate_groups": _split(values["candidateGroups"]),
        "candidate_users": _split(values["candidateUsers"]),
        "assignee": values["assignee"],
        "form": values["form"],
        "due": values["due"],
        "reminder": values["reminder"],
        "reassign_after": values["reassignAfter"],
        "escalate_to": values["escalateTo"],
        # Whoever held this step last in a case gets it again when the case loops back (unless "false").
        "sticky": (values["sticky"] or "true").strip().lower() not in ("false", "0", "no"),
        "documentation": _documentation(node),
        "line": node.sourceline,
    }


def _camunda(node: Any, attribute: str) -> str | None:
    """A ``camunda:`` attribute, its JUEL/FEEL translated where exact (kept as written otherwise: validation
    refuses assignments it cannot honour, E080)."""
    value = node.get(f"{{{CAMUNDA_NS}}}{attribute}")
    if value is None or attribute in ("dueDate", "formKey"):
        return value
    return expression(value) or value


def _lanes_by_node(process: Any) -> dict[str, str]:
    lanes: dict[str, str] = {}
    # Innermost lanes come later in document order, so they overwrite their parents.
    for lane in process.iter(f"{{{BPMN_NS}}}lane"):
        for ref in lane.findall(f"{{{BPMN_NS}}}flowNodeRef"):
            if ref.text:
                lanes[ref.text.strip()] = lane.get("name") or lane.get("id")
    return lanes


def _spiff_properties(node: Any) -> dict[str, str]:
    found = node.xpath("./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", namespaces=NS)
    return {p.get("name"): p.get("value") for p in found if p.get("name")}


def _camunda_properties(node: Any) -> dict[str, str]:
    found = node.xpath("./bpmn:extensionElements/camunda:properties/camunda:property", namespaces=NS)
    return {p.get("name"): p.get("value") for p in found if p.get("name")}


def _start_form(process: Any) -> str | None:
    for start in process.findall(f"{{{BPMN_NS}}}startEvent"):
        form = start.get(f"{{{PROCFLOW_NS}}}form") or start.get(f"{{{CAMUNDA_NS}}}formKey")
        if form:
            return str(form)
    return None


def _documentation(node: Any) -> str:
    doc = node.find(f"{{{BPMN_NS}}}documentation")
    return (doc.text or "").strip() if doc is not None else ""


def _participant_name(root: Any, process_id: str) -> str | None:
    part = root.find(f".//{{{BPMN_NS}}}participant[@processRef='{process_id}']")
    return part.get("name") if part is not None else None


def _split(value: str | None) -> list[str]:
    if not value:
        return []
    return [v.strip() for v in value.split(",") if v.strip()]
