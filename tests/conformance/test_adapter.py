"""The betsy adapter rewrites placeholders only: expressions, timers and script tokens."""

from __future__ import annotations

import pytest
from lxml import etree

from tests.conformance.adapter import quote_timer, translate, translate_expression, translate_script

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"


@pytest.mark.parametrize(("juel", "python"), [
    ('test.contains("a")', '("a" in test)'),
    ('${test.contains("b")}', '("b" in test)'),
    ('!test.contains("a")', 'not ("a" in test)'),
    ("${integerVariable >= 3}", "integerVariable >= 3"),
    ("integerVariable<3 && true || false", "integerVariable<3 and True or False"),
    ("activationCount>=1", "activationCount>=1"),
    ("x != null", "x != None"),
])
def test_juel_conditions_become_python(juel: str, python: str) -> None:
    assert translate_expression(juel) == python


def test_timer_literals_are_quoted_once() -> None:
    assert quote_timer(" PT5S ") == '"PT5S"'
    assert quote_timer('"R4/PT1S"') == '"R4/PT1S"'


def test_script_placeholders_become_python_that_logs() -> None:
    task = etree.Element(f"{{{BPMN}}}scriptTask")
    assert translate_script("SCRIPT_task3", task) == "trace.append('SCRIPT_task3')"
    assert translate_script("CREATE_LOG_FILE", task) == "pass"
    assert translate_script("THROW_ERROR", task) == "raise BpmnError('ERR_CODE')"
    assert translate_script("SET_STRING_DATA", task) == "data = 'String'"
    with pytest.raises(ValueError, match="unknown betsy script placeholder"):
        translate_script("FORMAT_DISK", task)


def test_a_whole_model_keeps_its_structure() -> None:
    model = (f'<definitions xmlns="{BPMN}"><process id="p"><scriptTask id="t"><script>SCRIPT_task1</script>'
             f'</scriptTask><sequenceFlow id="f" sourceRef="t" targetRef="t"><conditionExpression>'
             f'test.contains("a")</conditionExpression></sequenceFlow></process></definitions>').encode()
    root = etree.fromstring(translate(model))
    assert root.find(f".//{{{BPMN}}}script").text == "trace.append('SCRIPT_task1')"
    assert root.find(f".//{{{BPMN}}}conditionExpression").text == '("a" in test)'
    assert root.find(f".//{{{BPMN}}}sequenceFlow").get("targetRef") == "t"
