"""W150: a message or signal thrown where no process among the linted files catches it.

Between cases, procflow routes a thrown message or signal by its name (engine/runtime/routing.py). One that no
process waits for is recorded as undelivered in the sender's history and otherwise lost, which is rarely
what a designer meant: a misspelt name, or the receiving procedure left out of the deployment.
Messages received from outside (``procflow message``) need no thrower, so catching without throwing is
not a warning.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml import etree

from engine.bpmn.metadata import BPMN_NS

Element = Any  # lxml ships no type hints

THROWING = ("intermediateThrowEvent", "endEvent")
CATCHING = ("startEvent", "intermediateCatchEvent", "boundaryEvent")
_DEFINITIONS = {"messageEventDefinition": ("message", "messageRef"),
                "signalEventDefinition": ("signal", "signalRef")}


@dataclass(frozen=True)
class EventUse:
    """One element throwing or catching a named message or signal."""

    file: str
    element: Element
    kind: str  # message | signal
    name: str
    throws: bool


def event_uses(file: str, root: Element) -> Iterator[EventUse]:
    """Every message and signal a BPMN file's elements throw or catch, by the name routing uses."""
    names = {kind: _names(root, kind) for kind in ("message", "signal")}
    for element in root.iter(etree.Element):
        tag = etree.QName(element).localname
        if tag in ("sendTask", "receiveTask") and element.get("messageRef"):
            name = names["message"].get(element.get("messageRef"), element.get("messageRef"))
            yield EventUse(file, element, "message", name, tag == "sendTask")
        elif tag in THROWING or tag in CATCHING:
            for kind, ref in _event_refs(element):
                yield EventUse(file, element, kind, names[kind].get(ref, ref), tag in THROWING)


def _names(root: Element, kind: str) -> dict[str, str]:
    """Message (or signal) names by definition id; an unnamed definition goes by its id."""
    return {d.get("id"): d.get("name") or d.get("id") for d in root.iter(f"{{{BPMN_NS}}}{kind}")}


def _event_refs(element: Element) -> Iterator[tuple[str, str]]:
    for definition in element.iterchildren(etree.Element):
        found = _DEFINITIONS.get(etree.QName(definition).localname)
        if found is not None and definition.get(found[1]):
            yield found[0], definition.get(found[1])


def thrown_but_not_caught(uses: list[EventUse]) -> Iterator[tuple[EventUse, str]]:
    """Each throw whose (kind, name) no catch among ``uses`` waits for, with the warning's text."""
    caught = {(use.kind, use.name) for use in uses if not use.throws}
    for use in uses:
        if use.throws and (use.kind, use.name) not in caught:
            yield use, (f"the {use.kind} '{use.name}' is thrown here but no process among these files waits for "
                        f"it: unless a deployed process catches it, it will be recorded as undelivered")
