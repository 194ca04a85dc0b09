"""BPMN 2.0 constraints on sequence flows, gateways and process levels (see engine.bpmn.validation).

* E070 what a sequence flow may connect: flow nodes only, never an event sub-process (EXT.021, EXT.022), never
  an artifact (EXT.007); an activity with a conditional flow has another one (EXT.025); a level with an end
  event has a start event and the other way round (EXT.097, EXT.105); a throwing link event has a catching
  partner on its level (EXT.118). A flow node that no flow enters or leaves on a level with start and end
  events (EXT.150, EXT.151) is what lint's W110 and W111 report: a warning, not a refusal
* E072 gateways: at least two incoming or two outgoing flows (EXT.135), a converging gateway one outgoing,
  a diverging one one incoming (EXT.017, EXT.018); flows leaving an event-based gateway carry no condition
  (EXT.137), a default flow carries none; an event-based gateway leads to two or more catch events
  or receive tasks (EXT.136, EXT.138) that no other flow enters (EXT.141), never mixes message events with
  receive tasks (EXT.139), and those receive tasks have no boundary events (EXT.140); an instantiating one has
  no incoming flow (EXT.142)
* E075 ad-hoc sub-processes contain an activity (EXT.061)
* W171 (a warning) a condition on a flow leaving a parallel gateway: it is ignored, as the specification's
  execution semantics and the betsy suite say
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from engine.bpmn.validation.model import Element, ParsedFile, bpmn_tag, local_name
from engine.bpmn.validation.spec_events import incoming, outgoing, trigger
from engine.bpmn.validation.structure import ACTIVITIES
from engine.errors import ModelProblem

GATEWAYS = frozenset({"exclusiveGateway", "inclusiveGateway", "parallelGateway", "complexGateway",
                      "eventBasedGateway"})
EVENTS = frozenset({"startEvent", "endEvent", "boundaryEvent", "intermediateCatchEvent", "intermediateThrowEvent"})
FLOW_NODES = ACTIVITIES | GATEWAYS | EVENTS
ARTIFACTS = frozenset({"association", "textAnnotation", "group"})
EVENT_GATEWAY_TARGETS = frozenset({"message", "timer", "signal", "conditional", "multiple"})


def _problem(parsed: ParsedFile, code: str, element: Element, constraint: str, message: str) -> ModelProblem:
    return parsed.problem(code, element, f"{constraint}: {message}")


def _condition(flow: Element) -> Element | None:
    return flow.find(bpmn_tag("conditionExpression"))


def check_flow_connects(parsed: ParsedFile, flow: Element) -> Iterator[ModelProblem]:
    """E070: a sequence flow connects flow nodes, never an event sub-process or an artifact."""
    for end, constraint in (("sourceRef", "EXT.021"), ("targetRef", "EXT.022")):
        node = parsed.ids.get(flow.get(end) or "")
        if node is None:
            continue  # E011 says so
        name = local_name(node)
        if name in ARTIFACTS:
            yield _problem(parsed, "E070", flow, "EXT.007", f"{end} {node.get('id')} is an artifact ({name}); "
                                                            f"sequence flows connect flow nodes")
        elif name not in FLOW_NODES:  # an event sub-process's flows are EXT.057's
            yield _problem(parsed, "E070", flow, constraint, f"{end} {node.get('id')} is a {name}; only activities, "
                                                             f"gateways and events are connected by sequence flows")


def check_activity_conditions(parsed: ParsedFile, activity: Element) -> Iterator[ModelProblem]:
    """E070: an activity's only outgoing flow cannot be conditional (EXT.025)."""
    flows = outgoing(parsed, activity)
    if len(flows) == 1 and _condition(flows[0]) is not None:
        yield _problem(parsed, "E070", flows[0], "EXT.025", f"the only flow leaving {activity.get('id')} is "
                                                            f"conditional; add another flow or remove the condition")


def check_gateway(parsed: ParsedFile, gateway: Element) -> Iterator[ModelProblem]:
    """E072: a gateway's flows, by its kind and direction."""
    ins, outs = incoming(parsed, gateway), outgoing(parsed, gateway)
    if len(ins) < 2 and len(outs) < 2:
        yield _problem(parsed, "E072", gateway, "EXT.135", f"a gateway must have several incoming or several "
                                                           f"outgoing sequence flows ({len(ins)} in, {len(outs)} out)")
    direction = gateway.get("gatewayDirection")
    if direction == "Converging" and len(outs) > 1:
        yield _problem(parsed, "E072", gateway, "EXT.017", "a converging gateway must not have more than one "
                                                           "outgoing sequence flow")
    if direction == "Diverging" and len(ins) > 1:
        yield _problem(parsed, "E072", gateway, "EXT.018", "a diverging gateway must not have more than one "
                                                           "incoming sequence flow")
    default = parsed.ids.get(gateway.get("default") or "")
    if default is not None and _condition(default) is not None:
        yield _problem(parsed, "E072", default, "EXT.026", f"the default flow of {gateway.get('id')} must not "
                                                           f"have a condition")
    for flow in outs if local_name(gateway) == "eventBasedGateway" else ():
        if _condition(flow) is not None:
            yield _problem(parsed, "E072", flow, "EXT.137", f"a flow leaving the event-based gateway "
                                                            f"{gateway.get('id')} must not have a condition")
    for flow in outs if local_name(gateway) == "parallelGateway" else ():
        if _condition(flow) is not None:  # the betsy suite expects it ignored, not refused
            yield replace(_problem(parsed, "W171", flow, "BPMN 13.3.4", f"the condition of a flow leaving the "
                                                                        f"parallel gateway {gateway.get('id')} is "
                                                                        f"ignored: every flow is taken"),
                          severity="warning")
    if local_name(gateway) == "eventBasedGateway":
        yield from _event_gateway(parsed, gateway, ins, outs)


def _event_gateway(parsed: ParsedFile, gateway: Element, ins: list[Element],
                   outs: list[Element]) -> Iterator[ModelProblem]:
    if len(outs) < 2:
        yield _problem(parsed, "E072", gateway, "EXT.136", "an event-based gateway must have two or more outgoing "
                                                           "sequence flows")
    if gateway.get("instantiate") == "true" and ins:
        yield _problem(parsed, "E072", gateway, "EXT.142", "an event-based gateway that instantiates the process "
                                                           "must not have incoming sequence flows")
    targets = [t for t in (parsed.ids.get(f.get("targetRef") or "") for f in outs) if t is not None]
    kinds = set()
    for target in targets:
        name = local_name(target)
        kind = trigger(parsed, target) if name == "intermediateCatchEvent" else None
        if name == "receiveTask":
            kinds.add("receiveTask")
            if any(b.get("attachedToRef") == target.get("id") for b in parsed.root.iter(bpmn_tag("boundaryEvent"))):
                yield _problem(parsed, "E072", target, "EXT.140", "a receive task after an event-based gateway "
                                                                  "must not have boundary events")
        elif kind in EVENT_GATEWAY_TARGETS:
            kinds.add(kind)
        else:
            yield _problem(parsed, "E072", target, "EXT.138", f"an event-based gateway ({gateway.get('id')}) may "
                                                              f"lead only to receive tasks and message, timer, "
                                                              f"signal or conditional catch events, not to "
                                                              f"{kind + ' ' if kind else ''}{name}")
        if len(incoming(parsed, target)) > 1:
            yield _problem(parsed, "E072", target, "EXT.141", f"a target of the event-based gateway "
                                                              f"{gateway.get('id')} must have no other incoming "
                                                              f"sequence flow")
    if {"receiveTask", "message"} <= kinds:
        yield _problem(parsed, "E072", gateway, "EXT.139", "an event-based gateway must not lead to both message "
                                                           "catch events and receive tasks")


def check_level(parsed: ParsedFile, scope: Element) -> Iterator[ModelProblem]:
    """E070: start and end events come in pairs on a level (EXT.097, EXT.105); links have partners (EXT.118)."""
    nodes = [n for n in scope if isinstance(n.tag, str) and local_name(n) in FLOW_NODES]
    starts = [n for n in nodes if local_name(n) == "startEvent"]
    ends = [n for n in nodes if local_name(n) == "endEvent"]
    instantiating = [n for n in nodes if local_name(n) == "receiveTask" and n.get("instantiate") == "true"]
    if ends and not starts and not instantiating:
        yield _problem(parsed, "E070", ends[0], "EXT.097", "a level with an end event needs a start event (or a "
                                                           "receive task that instantiates it)")
    if starts and not ends:
        yield _problem(parsed, "E070", starts[0], "EXT.105", "a level with a start event needs an end event")
    caught = {definition.get("name") for node in nodes if local_name(node) == "intermediateCatchEvent"
              for definition in node.iterfind(bpmn_tag("linkEventDefinition"))}
    for node in nodes:
        for definition in node.iterfind(bpmn_tag("linkEventDefinition")):
            if local_name(node) == "intermediateThrowEvent" and definition.get("name") not in caught:
                yield _problem(parsed, "E070", node, "EXT.118", f"no catching link event named "
                                                                f"'{definition.get('name')}' on the same level")


def check_adhoc(parsed: ParsedFile, adhoc: Element) -> Iterator[ModelProblem]:
    """E075: an ad-hoc sub-process contains at least one activity (EXT.061)."""
    if not any(isinstance(n.tag, str) and local_name(n) in ACTIVITIES for n in adhoc):
        yield _problem(parsed, "E075", adhoc, "EXT.061", "an ad-hoc sub-process must contain at least one activity")
