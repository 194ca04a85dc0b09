"""Link events: a throwing link event continues at the catching link event of the same name.

A pair of link events is a "go to" inside one process or sub-process level, used to avoid long
sequence flows across a diagram. The parser connects the throwing event straight to its catching
partner, which then behaves as a plain pass-through event; nothing is thrown at run time.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
LINK = f"{{{BPMN_NS}}}linkEventDefinition"
CATCH = f"{{{BPMN_NS}}}intermediateCatchEvent"


class LinkThrowParserMixin:
    """Connects an intermediate throw event with a link definition to the matching catching link event."""

    node: Any
    task: Any
    process_parser: Any
    filename: str | None

    def parse_node(self) -> Any:
        result = super().parse_node()  # type: ignore[misc]
        link = self.node.find(LINK)
        if link is not None:
            target = link_target(self.node, link, self.filename)
            self.task.connect(self.process_parser.parse_node(target))
        return result


def link_name(event: Any, link: Any) -> str:
    """A link's name: the link definition's, else the event's."""
    return str(link.get("name") or event.get("name") or "")


def link_target(event: Any, link: Any, filename: str | None) -> Any:
    """The one catching link event on the same level as ``event`` that has the same link name."""
    name = link_name(event, link)
    targets = [node for node in event.getparent().iterchildren(CATCH)
               if node.find(LINK) is not None and link_name(node, node.find(LINK)) == name]
    if len(targets) != 1:
        found = "no" if not targets else f"{len(targets)}"
        raise ValidationException(f"link event {event.get('id')} throws link {name!r}, and {found} catching link "
                                  f"event of that name is on the same level (exactly one is needed)",
                                  node=event, file_name=filename)
    return targets[0]
