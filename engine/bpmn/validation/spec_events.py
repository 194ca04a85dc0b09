"""BPMN 2.0 constraints on events (see engine.bpmn.validation): which trigger is allowed where, and their flows.

Each message starts with the constraint's code in BPMNspector's catalogue of the specification's rules
(``EXT.0nn``), so a designer can look it up; procflow's own codes group them:

* E070 an event's sequence flows: start events have no incoming flow and at least one outgoing (EXT.096,
  EXT.101), end events the other way round (EXT.104, EXT.107), boundary events no incoming and, unless they
  compensate, at least one outgoing (EXT.112 to EXT.114), intermediate events both, except links (EXT.115 to
  EXT.117)
* E071 an event's trigger is not allowed where it is: top-level start (EXT.098), sub-process start (EXT.100),
  event sub-process start (EXT.058, EXT.059), end (EXT.106, EXT.146), boundary (EXT.110, EXT.111),
  intermediate throw and catch (the specification's tables of event types, EXT.122), in an ad-hoc
  sub-process (EXT.062)
"""

from __future__ import annotations

from collections.abc import Iterator

from engine.bpmn.validation.model import Element, ParsedFile, bpmn_tag, local_name
from engine.errors import ModelProblem

SUBPROCESSES = frozenset({"subProcess", "transaction", "adHocSubProcess"})
NONE = "none"

# Where an event sits -> the triggers it may have (the specification's tables 10.84 to 10.93).
TOP_LEVEL_START = frozenset({NONE, "message", "timer", "signal", "conditional", "multiple"})
EVENT_SUBPROCESS_START = frozenset({"message", "timer", "signal", "conditional", "error", "escalation",
                                    "compensate", "multiple"})
NON_INTERRUPTING_START = EVENT_SUBPROCESS_START - {"error", "compensate"}
END = frozenset({NONE, "message", "error", "escalation", "cancel", "compensate", "signal", "terminate", "multiple"})
BOUNDARY = frozenset({"message", "timer", "error", "escalation", "cancel", "compensate", "conditional", "signal",
                      "multiple"})
NON_INTERRUPTING_BOUNDARY = BOUNDARY - {"error", "cancel", "compensate"}
INTERMEDIATE_THROW = frozenset({NONE, "message", "escalation", "link", "compensate", "signal", "multiple"})
INTERMEDIATE_CATCH = frozenset({"message", "timer", "link", "conditional", "signal", "multiple"})


def triggers(parsed: ParsedFile, event: Element) -> list[str]:
    """The kinds of an event's definitions (``message``, ``timer``...), inline or named by ``eventDefinitionRef``."""
    kinds = [local_name(child)[:-len("EventDefinition")] for child in event
             if isinstance(child.tag, str) and local_name(child).endswith("EventDefinition")]
    for ref in event.iterfind(bpmn_tag("eventDefinitionRef")):
        target = parsed.ids.get((ref.text or "").strip())
        if target is not None and local_name(target).endswith("EventDefinition"):
            kinds.append(local_name(target)[:-len("EventDefinition")])
    return kinds


def trigger(parsed: ParsedFile, event: Element) -> str:
    """``none``, the one kind, or ``multiple``."""
    kinds = triggers(parsed, event)
    return NONE if not kinds else kinds[0] if len(kinds) == 1 else "multiple"


def level(element: Element) -> str:
    """Where a flow node sits: ``process``, ``subProcess``, ``eventSubProcess``, ``transaction``, ``adHoc``."""
    parent = element.getparent()
    name = local_name(parent)
    if name == "subProcess" and parent.get("triggeredByEvent") == "true":
        return "eventSubProcess"
    return {"adHocSubProcess": "adHoc"}.get(name, name)


def incoming(parsed: ParsedFile, node: Element) -> list[Element]:
    """The sequence flows that end at ``node``."""
    return parsed.incoming.get(node.get("id"), [])


def outgoing(parsed: ParsedFile, node: Element) -> list[Element]:
    """The sequence flows that start at ``node``."""
    return parsed.outgoing.get(node.get("id"), [])


def enters(parsed: ParsedFile, node: Element) -> bool:
    """A flow enters ``node``, or may: its ``incoming`` names one, or a flow of its level ends nowhere (E010, E011
    report those; one problem is enough)."""
    return (bool(incoming(parsed, node)) or node.find(bpmn_tag("incoming")) is not None
            or _dangling(parsed, node, "targetRef"))


def leaves(parsed: ParsedFile, node: Element) -> bool:
    """A flow leaves ``node``, or may (see :func:`enters`)."""
    return (bool(outgoing(parsed, node)) or node.find(bpmn_tag("outgoing")) is not None
            or _dangling(parsed, node, "sourceRef"))


def _dangling(parsed: ParsedFile, node: Element, end: str) -> bool:
    return any(flow.get(end) not in parsed.ids for flow in node.getparent().iterfind(bpmn_tag("sequenceFlow")))


def _e070(parsed: ParsedFile, event: Element, constraint: str, message: str) -> ModelProblem:
    return parsed.problem("E070", event, f"{constraint}: {message}")


def _e071(parsed: ParsedFile, event: Element, constraint: str, message: str) -> ModelProblem:
    return parsed.problem("E071", event, f"{constraint}: {message}")


def _names(kinds: frozenset[str]) -> str:
    return ", ".join(sorted(kinds))


def check_start_event(parsed: ParsedFile, event: Element) -> Iterator[ModelProblem]:
    """E070/E071: a start event's flows and trigger, by where it sits."""
    if incoming(parsed, event):
        yield _e070(parsed, event, "EXT.096", "a start event must not have an incoming sequence flow")
    if not leaves(parsed, event):
        yield _e070(parsed, event, "EXT.101", "a start event must have an outgoing sequence flow")
    kind, where = trigger(parsed, event), level(event)
    if where == "process" and kind not in TOP_LEVEL_START:
        yield _e071(parsed, event, "EXT.098", f"a {kind} start event is allowed only in an event sub-process; "
                                              f"a process starts with: {_names(TOP_LEVEL_START)}")
    elif where in ("subProcess", "transaction") and kind != NONE:
        yield _e071(parsed, event, "EXT.100", f"the start event of a sub-process must have no trigger, not {kind}")
    elif where == "adHoc":
        yield _e071(parsed, event, "EXT.062", "an ad-hoc sub-process must not contain a start event")
    elif where == "eventSubProcess":
        allowed = EVENT_SUBPROCESS_START if event.get("isInterrupting", "true") != "false" else NON_INTERRUPTING_START
        if kind not in allowed:
            yield _e071(parsed, event, "EXT.059", f"the start event of an event sub-process needs one of: "
                                                  f"{_names(allowed)} (not {kind})")


def check_end_event(parsed: ParsedFile, event: Element) -> Iterator[ModelProblem]:
    """E070/E071: an end event's flows and trigger."""
    if outgoing(parsed, event):
        yield _e070(parsed, event, "EXT.104", "an end event must not have an outgoing sequence flow")
    if not enters(parsed, event):
        yield _e070(parsed, event, "EXT.107", "an end event must have an incoming sequence flow")
    kind = trigger(parsed, event)
    if kind not in END:
        yield _e071(parsed, event, "EXT.146", f"an end event cannot be a {kind} event; allowed: {_names(END)}")
    elif kind == "cancel" and not any(local_name(a) == "transaction" for a in event.iterancestors()):
        yield _e071(parsed, event, "EXT.106", "a cancel end event is allowed only inside a transaction")
    if level(event) == "adHoc":
        yield _e071(parsed, event, "EXT.062", "an ad-hoc sub-process must not contain an end event")


def check_boundary_event(parsed: ParsedFile, event: Element) -> Iterator[ModelProblem]:
    """E070/E071: a boundary event has no incoming flow, and a trigger allowed on the boundary."""
    kind = trigger(parsed, event)
    if incoming(parsed, event):
        yield _e070(parsed, event, "EXT.112", "a boundary event must not be the target of a sequence flow")
    if kind == "compensate" and outgoing(parsed, event):
        yield _e070(parsed, event, "EXT.114", "a compensation boundary event must not have an outgoing sequence "
                                              "flow (it is associated with its handler)")
    elif kind != "compensate" and not leaves(parsed, event):
        yield _e070(parsed, event, "EXT.113", "a boundary event must have an outgoing sequence flow")
    allowed = BOUNDARY if event.get("cancelActivity", "true") != "false" else NON_INTERRUPTING_BOUNDARY
    if kind not in allowed:
        mode = "an interrupting" if allowed is BOUNDARY else "a non-interrupting"
        yield _e071(parsed, event, "EXT.110", f"{mode} boundary event cannot be a {kind} event; allowed: "
                                              f"{_names(allowed)}")
    attached = parsed.ids.get(event.get("attachedToRef") or "")
    if kind == "cancel" and attached is not None and local_name(attached) != "transaction":
        yield _e071(parsed, event, "EXT.111", f"a cancel boundary event must be attached to a transaction, not to "
                                              f"a {local_name(attached)}")


def check_intermediate_event(parsed: ParsedFile, event: Element) -> Iterator[ModelProblem]:
    """E070/E071: intermediate events are on a path (links excepted) and have a trigger allowed for their side."""
    kind, throw = trigger(parsed, event), local_name(event) == "intermediateThrowEvent"
    allowed = INTERMEDIATE_THROW if throw else INTERMEDIATE_CATCH
    if kind == "compensate" and not throw:
        yield _e071(parsed, event, "EXT.122", "an intermediate catch event in the normal flow cannot catch a "
                                              "compensation (use a compensation boundary event)")
    elif kind not in allowed:
        side = "throw" if throw else "catch"
        yield _e071(parsed, event, "BPMN 10.5.4", f"an intermediate {side} event cannot be a {kind} event; allowed: "
                                           f"{_names(allowed)}")
    if kind == "link" and (outgoing(parsed, event) if throw else incoming(parsed, event)):
        yield _e070(parsed, event, "EXT.117", "a link event must not be both the target and the source of "
                                              "sequence flows")
    if not enters(parsed, event) and not (kind == "link" and not throw):
        yield _e070(parsed, event, "EXT.115", "an intermediate event must be the target of a sequence flow")
    if not leaves(parsed, event) and not (kind == "link" and throw):
        yield _e070(parsed, event, "EXT.116", "an intermediate event must be the source of a sequence flow")


def check_event_subprocess(parsed: ParsedFile, node: Element) -> Iterator[ModelProblem]:
    """E070/E071: an event sub-process has no sequence flows of its own and exactly one start event."""
    if node.get("triggeredByEvent") != "true":
        return
    if incoming(parsed, node) or outgoing(parsed, node):
        yield _e070(parsed, node, "EXT.057", "an event sub-process must not have incoming or outgoing "
                                             "sequence flows")
    starts = node.findall(bpmn_tag("startEvent"))
    if len(starts) != 1:
        yield _e071(parsed, node, "EXT.058", f"an event sub-process must have exactly one start event, "
                                             f"not {len(starts)}")
