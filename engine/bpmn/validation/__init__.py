"""Deploy-time validation of BPMN and DMN files: every problem, located by file, line and element.

SpiffWorkflow's parser stops at the first problem, rarely gives a line, and silently ignores some
broken references, so procflow checks the XML itself first and asks SpiffWorkflow last. Codes:

* E001 the file is not well-formed XML
* E002 the file breaks the BPMN, SpiffWorkflow or DMN XML schema
* E003 an id is used twice in one file
* E004 the file is neither BPMN nor DMN, or a ``.dmn`` file holds BPMN (or the other way round)
* E005 a process or decision id is defined in more than one of the files
* E010 ``incoming``/``outgoing`` names a sequence flow that does not exist
* E011 a sequence flow's ``sourceRef``/``targetRef`` names no element of its process
* E012 a ``default`` flow does not exist or does not leave the element
* E013 ``incoming``/``outgoing`` names a flow that does not end/start at the element
* E014 a boundary event is attached to nothing, or to something that is not an activity
* E015 a ``messageRef``/``signalRef``/``errorRef``/``escalationRef`` names no definition in the file
* E020 a flow leaving an exclusive/inclusive gateway has neither a condition nor is the default
* E030 a timer is empty, not an expression, or not an ISO 8601 date/duration/cycle
* E031 a condition or script is not valid Python, FEEL or JUEL (engine.bpmn.expressions)
* E032 a DMN file cannot be evaluated by procflow's DMN engine (engine.bpmn.dmn)
* E033 a condition, script, timer or other expression uses what the sandbox forbids (engine.sandbox)
* E040 a call activity calls a process that is neither in the files nor deployed
* E041 a business rule task calls a decision that is neither in the files nor deployed
* E050 SpiffWorkflow refuses the model (tried only when no other error was found)
* E007 the file has nothing to deploy; E008 an executable process can never start; E009 it uses a data store
* E070 to E075 the BPMN 2.0 specification's own constraints (sequence flows, event triggers, gateways, message
  flows, references, data), each message starting with the constraint's code in BPMNspector's catalogue
  (``EXT.0nn``, ``REF_TYPE``...)
* E080, E081, E083 Camunda 7/8 extensions that cannot be honoured (who may do a task, service task handlers);
  W160 (a warning) one that is ignored

Processes marked ``isExecutable="false"`` are descriptive: checked against the specification, never for
execution details (``EXECUTION_CODES``).

Checks are small functions in lookup tables (``ELEMENT_CHECKS`` by tag, ``FILE_CHECKS`` and
``BATCH_CHECKS``), so further checks (warnings, a linter) can be added without touching these.

This module runs them and fills the tables; the rest lives next to it:

* engine.bpmn.validation.model: the files as loaded (E001, E004) and indexed, and the tables themselves
* engine.bpmn.validation.structure: the XML schema, ids and references (E002 to E015, E040, E041)
* engine.bpmn.validation.expressions: conditions, scripts, timers and decisions (E020, E030-E033)
* engine.bpmn.validation.spiff: SpiffWorkflow's own verdict (E050)
* engine.bpmn.validation.deployable: what a file gives deploy to run (E007, E008)
* engine.bpmn.validation.spec_events, spec_flows, spec_references: the specification's constraints (E070 to E075)
* engine.bpmn.validation.extensions: Camunda extensions procflow cannot honour (E080 to E083)
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from engine.bpmn.validation.deployable import (
    EXECUTION_CODES,
    check_data_store,
    check_deployable,
    descriptive_element,
)
from engine.bpmn.validation.expressions import (
    PYTHON_TAGS,
    check_dmn,
    check_gateway_conditions,
    check_metadata_expressions,
    check_python,
    check_timer,
    python_syntax_error,
    timer_problem,
)
from engine.bpmn.validation.extensions import IGNORED_ON, check_assignment, check_handler, check_ignored
from engine.bpmn.validation.model import (
    BATCH_CHECKS,
    ELEMENT_CHECKS,
    FILE_CHECKS,
    BatchCheck,
    Element,
    ElementCheck,
    FileCheck,
    ParsedFile,
    SourceFile,
    as_utf8,
    bpmn_tag,
    load_source,
    parse_all,
    register,
)
from engine.bpmn.validation.spec_events import (
    check_boundary_event,
    check_end_event,
    check_event_subprocess,
    check_intermediate_event,
    check_start_event,
)
from engine.bpmn.validation.spec_flows import (
    GATEWAYS,
    check_activity_conditions,
    check_adhoc,
    check_flow_connects,
    check_gateway,
    check_level,
)
from engine.bpmn.validation.spec_references import (
    REFERENCES,
    check_data_association,
    check_io_specification,
    check_message_flow,
    check_references,
)
from engine.bpmn.validation.spiff import spiff_problems
from engine.bpmn.validation.structure import (
    ACTIVITIES,
    EVENT_REFS,
    check_attachment,
    check_called_decision,
    check_called_process,
    check_default_flow,
    check_duplicate_ids,
    check_event_reference,
    check_flow_ends,
    check_flow_reference,
    check_schema,
    check_unique_definitions,
)
from engine.errors import ModelProblem

__all__ = [
    "ACTIVITIES", "BATCH_CHECKS", "ELEMENT_CHECKS", "EVENT_REFS", "FILE_CHECKS", "PYTHON_TAGS", "BatchCheck",
    "Element", "ElementCheck", "FileCheck", "ParsedFile", "SourceFile", "check_attachment", "check_called_decision",
    "check_called_process", "check_default_flow", "check_dmn", "check_duplicate_ids", "check_event_reference",
    "check_flow_ends", "check_flow_reference", "check_gateway_conditions", "check_metadata_expressions",
    "check_python", "check_schema",
    "check_timer", "check_unique_definitions", "python_syntax_error", "register", "timer_problem", "validate_sources",
]


def validate_sources(files: Sequence[SourceFile], *, known_processes: Collection[str] = (),
                     known_decisions: Collection[str] = ()) -> list[ModelProblem]:
    """Check BPMN and DMN files before they are deployed.

    Args:
        files: the files deployed together; call activities and business rule tasks may reference
            processes and decisions defined in any of them.
        known_processes: ids of processes already deployed.
        known_decisions: ids of decisions already deployed.

    Returns:
        Every problem found, sorted by file and line; the files can be deployed when none is an error
        (a few of the specification's rules are only warnings, W170 and W171).
    """
    files = [as_utf8(source) for source in files]  # declared encodings other than UTF-8
    loaded = [load_source(source) for source in files]
    problems = [problem for _, problem in loaded if problem is not None]
    roots = [(source, root) for source, (root, _) in zip(files, loaded, strict=True) if root is not None]
    parsed = parse_all(roots, set(known_processes), set(known_decisions))
    for check in BATCH_CHECKS:
        problems.extend(check(parsed))
    for one in parsed:
        problems.extend(p for p in one.problems()
                        if not (p.code in EXECUTION_CODES and descriptive_element(one, p.element_id)))
    if not any(p.severity == "error" for p in problems):
        problems += spiff_problems(parsed, set(known_processes), set(known_decisions))
    return sorted(problems, key=lambda p: (p.file, p.line or 0, p.column or 0, p.code))


# -- the tables -----------------------------------------------------------------------------------
FILE_CHECKS.extend([check_schema, check_duplicate_ids, check_dmn, check_deployable])
BATCH_CHECKS.append(check_unique_definitions)

register(check_flow_reference, bpmn_tag("incoming"), bpmn_tag("outgoing"))
register(check_flow_ends, bpmn_tag("sequenceFlow"))
register(check_default_flow, *(bpmn_tag(t) for t in (*ACTIVITIES, "exclusiveGateway", "inclusiveGateway",
                                                      "complexGateway")))
register(check_attachment, bpmn_tag("boundaryEvent"))
register(check_event_reference, *(bpmn_tag(t) for t in EVENT_REFS))
register(check_gateway_conditions, bpmn_tag("exclusiveGateway"), bpmn_tag("inclusiveGateway"))
register(check_python, *PYTHON_TAGS)
register(check_timer, bpmn_tag("timerEventDefinition"))
register(check_metadata_expressions, *(bpmn_tag(t) for t in ("process", "userTask", "manualTask")))
register(check_called_process, bpmn_tag("callActivity"))
register(check_called_decision, bpmn_tag("businessRuleTask"))
# the specification's constraints
register(check_start_event, bpmn_tag("startEvent"))
register(check_end_event, bpmn_tag("endEvent"))
register(check_boundary_event, bpmn_tag("boundaryEvent"))
register(check_intermediate_event, bpmn_tag("intermediateThrowEvent"), bpmn_tag("intermediateCatchEvent"))
register(check_event_subprocess, bpmn_tag("subProcess"))
register(check_flow_connects, bpmn_tag("sequenceFlow"))
register(check_activity_conditions, *(bpmn_tag(t) for t in ACTIVITIES))
register(check_gateway, *(bpmn_tag(t) for t in GATEWAYS))
register(check_level, *(bpmn_tag(t) for t in ("process", "subProcess", "transaction")))
register(check_adhoc, bpmn_tag("adHocSubProcess"))
register(check_references, *(bpmn_tag(t) for t in REFERENCES))
register(check_message_flow, bpmn_tag("messageFlow"))
register(check_data_store, bpmn_tag("dataStoreReference"))
# Camunda extensions
register(check_assignment, bpmn_tag("userTask"))
register(check_handler, bpmn_tag("serviceTask"))
register(check_ignored, *(bpmn_tag(t) for t in IGNORED_ON))
register(check_io_specification, bpmn_tag("ioSpecification"))
register(check_data_association, bpmn_tag("dataInputAssociation"), bpmn_tag("dataOutputAssociation"))
