"""Reading XML that people give procflow (BPMN, DMN, anything lxml parses) without trusting it.

Every parse goes through :func:`parse_xml`: its parser never resolves entities, never loads a DTD, never
touches the network and keeps lxml's limits on huge documents. A document that declares entities in its
DOCTYPE (an external entity reading ``/etc/passwd``, the "billion laughs" that expands to gigabytes) is
refused outright with the file and line of the declaration: no model needs one.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from engine.errors import InvalidModel, ModelProblem

_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)
# The internal subset of a DOCTYPE, looked at before parsing: lxml would refuse a billion laughs only with an
# obscure "amplification factor" message, and the designer deserves the real reason.
_INTERNAL_SUBSET = re.compile(rb"<!DOCTYPE[^\[>]*\[(.*?)\]\s*>", re.IGNORECASE | re.DOTALL)
UNSAFE_CODE = "E007"


def xml_parser() -> Any:
    """A fresh hardened parser (lxml parsers are not shared between threads)."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                           dtd_validation=False)


def parse_xml(content: bytes | str, *, name: str) -> Any:
    """Parse ``content`` (from the file ``name``) with :func:`xml_parser` and return its root element.

    Raises:
        InvalidModel: the document declares entities (located at the declaration's line).
        lxml.etree.XMLSyntaxError: the document is not well-formed XML.
    """
    data = content.encode() if isinstance(content, str) else content
    subset = _INTERNAL_SUBSET.search(data)
    if subset is not None and _ENTITY.search(subset.group(1)):
        raise InvalidModel([entity_problem(name, data)])
    # lxml keeps one error log per thread: what an earlier XSD validation left there (engine/exchange) would
    # otherwise come back as this document's first syntax error.
    etree.clear_error_log()
    root = etree.fromstring(data, xml_parser())
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise InvalidModel([entity_problem(name, data)])
    return root


def entity_problem(name: str, data: bytes) -> ModelProblem:
    """The located refusal of a document that declares entities."""
    found = _ENTITY.search(data)
    line = data[:found.start()].count(b"\n") + 1 if found else 1
    return ModelProblem(name, line, None, "the DOCTYPE declares entities (<!ENTITY ...>); procflow refuses them, "
                        "as they can read files or expand without end: remove the DOCTYPE", code=UNSAFE_CODE)
