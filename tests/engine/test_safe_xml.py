"""The one way procflow parses XML: no entities, no DTD, no network."""

from __future__ import annotations

import pytest
from lxml import etree

from engine.errors import InvalidModel
from engine.inputs.safe_xml import parse_xml
from tests.conftest import FIXTURES


@pytest.mark.parametrize("name", ["xxe.bpmn", "billion_laughs.bpmn"])
def test_a_doctype_with_entities_is_refused_where_it_is_declared(name: str) -> None:
    with pytest.raises(InvalidModel) as refused:
        parse_xml((FIXTURES / "hostile" / name).read_bytes(), name=name)
    (problem,) = refused.value.problems
    assert (problem.file, problem.line, problem.code) == (name, 3, "E007")


def test_entities_hidden_from_the_quick_look_are_still_refused_and_never_resolved() -> None:
    # Declared in UTF-16: the bytes do not show "<!ENTITY", the parsed DTD does.
    text = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>'
    with pytest.raises(InvalidModel):
        parse_xml(text.encode("utf-16"), name="a.bpmn")


def test_plain_models_and_a_bare_doctype_parse() -> None:
    assert parse_xml((FIXTURES / "approve.bpmn").read_bytes(), name="approve.bpmn").tag.endswith("definitions")
    assert parse_xml(b"<!DOCTYPE a><a>x</a>", name="a.xml").text == "x"
    with pytest.raises(etree.XMLSyntaxError):
        parse_xml(b"<a>", name="a.xml")
