"""DMN 1.1 to 1.5 files read into decisions whose FEEL is already translated to Python (engine.bpmn.expressions).

A file may hold several decisions, decisions that require others, input data and business knowledge
models (functions); a decision's logic is a decision table or a literal expression. Anything that cannot
be read is a :class:`DmnError` naming the element and its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from lxml import etree

from engine.bpmn.expressions import ExpressionError, translate_feel, translate_unary_tests

DMN_NAMESPACES = {
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd": "1.1",
    "http://www.omg.org/spec/DMN/20180521/MODEL/": "1.2",
    "https://www.omg.org/spec/DMN/20191111/MODEL/": "1.3",
    "https://www.omg.org/spec/DMN/20211108/MODEL/": "1.4",
    "https://www.omg.org/spec/DMN/20230324/MODEL/": "1.5",
}
HIT_POLICIES = {"UNIQUE", "FIRST", "PRIORITY", "ANY", "COLLECT", "RULE ORDER", "OUTPUT ORDER"}
AGGREGATIONS = {"SUM", "MIN", "MAX", "COUNT"}


class DmnError(ValueError):
    """A DMN element procflow cannot evaluate, located by id and line."""

    def __init__(self, message: str, element_id: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.element_id = element_id
        self.line = line


@dataclass(frozen=True)
class Column:
    """An input (expression) or output (name) column, with its allowed values as a unary-test condition."""

    id: str
    label: str
    source: str  # input: Python for the input expression; output: the output's name
    type_ref: str | None
    allowed: str | None  # Python condition on ``feel_input``
    allowed_order: tuple[str, ...] = ()  # output values in priority order (Python sources)
    default: str | None = None  # defaultOutputEntry


@dataclass(frozen=True)
class Rule:
    id: str
    tests: tuple[str, ...]  # a Python condition on ``feel_input`` per input
    outputs: tuple[str, ...]  # Python per output


@dataclass(frozen=True)
class DecisionTable:
    hit_policy: str
    aggregation: str | None
    inputs: tuple[Column, ...]
    outputs: tuple[Column, ...]
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class Decision:
    """A decision (or a business knowledge model: then ``parameters`` name its arguments)."""

    id: str
    name: str
    type_ref: str | None
    logic: DecisionTable | str | None  # a table, or the Python of a literal expression
    requires: tuple[str, ...] = ()  # ids of required decisions
    knowledge: tuple[str, ...] = ()  # ids of required business knowledge models
    parameters: tuple[str, ...] = ()


@dataclass
class Definitions:
    """Everything a DMN file defines, by id, with names resolved."""

    version: str
    decisions: dict[str, Decision] = field(default_factory=dict)
    knowledge: dict[str, Decision] = field(default_factory=dict)
    inputs: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # id -> (name, typeRef)
    types: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)  # name -> (base, allowed)

    def decision(self, key: str) -> Decision:
        """The decision with id or name ``key``."""
        found = self.decisions.get(key) or next((d for d in self.decisions.values() if d.name == key), None)
        if found is None:
            raise DmnError(f"no decision {key!r} in this file")
        return found


@lru_cache(maxsize=64)
def load_definitions(content: bytes) -> Definitions:
    """Read a DMN file (cached by content: files are read once per process, however often they run)."""
    root = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True))
    return read_definitions(root)


def read_definitions(root: Any) -> Definitions:
    """Read the DMN ``definitions`` element ``root``."""
    namespace = etree.QName(root).namespace or ""
    version = DMN_NAMESPACES.get(namespace)
    if version is None:
        raise DmnError(f"not a DMN 1.1-1.5 file (namespace {namespace!r})", root.get("id"), root.sourceline)
    reader = _Reader(namespace, Definitions(version))
    return reader.read(root)


class _Reader:
    def __init__(self, namespace: str, definitions: Definitions) -> None:
        self.ns = namespace
        self.out = definitions
        self.names: list[str] = []

    def tag(self, name: str) -> str:
        return f"{{{self.ns}}}{name}"

    def read(self, root: Any) -> Definitions:
        self.names = [e.get("name") for e in root if e.get("name")]
        self.names += [p.get("name") for p in root.iter(self.tag("formalParameter")) if p.get("name")]
        for item in root.iter(self.tag("itemDefinition")):
            self._item(item)
        for element in root.iter(self.tag("inputData")):
            variable = element.find(self.tag("variable"))
            type_ref = variable.get("typeRef") if variable is not None else None
            self.out.inputs[element.get("id")] = (element.get("name"), type_ref)
        for element in root.iter(self.tag("businessKnowledgeModel")):
            self.out.knowledge[element.get("id")] = self._decision(element, knowledge=True)
        for element in root.iter(self.tag("decision")):
            self.out.decisions[element.get("id")] = self._decision(element)
        return self.out

    def _item(self, item: Any) -> None:
        base = item.findtext(self.tag("typeRef"))
        allowed = item.find(f"{self.tag('allowedValues')}/{self.tag('text')}")
        self.out.types[item.get("name")] = (base.strip() if base else None, self._tests(allowed, item))

    def _decision(self, element: Any, knowledge: bool = False) -> Decision:
        variable = element.find(self.tag("variable"))
        type_ref = element.get("typeRef") or (variable.get("typeRef") if variable is not None else None)
        holder = element.find(self.tag("encapsulatedLogic")) if knowledge else element
        parameters = tuple(p.get("name") for p in holder.iter(self.tag("formalParameter"))) if knowledge else ()
        logic = self._logic(holder, element) if holder is not None else None
        return Decision(element.get("id"), element.get("name") or element.get("id"), type_ref, logic,
                        requires=self._refs(element, "requiredDecision"),
                        knowledge=self._refs(element, "requiredKnowledge"), parameters=parameters)

    def _refs(self, element: Any, kind: str) -> tuple[str, ...]:
        return tuple((ref.get("href") or "").lstrip("#") for ref in element.iter(self.tag(kind)))

    def _logic(self, holder: Any, owner: Any) -> DecisionTable | str | None:
        table = holder.find(self.tag("decisionTable"))
        if table is not None:
            return self._table(table)
        literal = holder.find(self.tag("literalExpression"))
        if literal is not None:
            return self._expression(literal.find(self.tag("text")), literal)
        if holder.find("*") is not None and owner.find(self.tag("decisionTable")) is None:
            kinds = sorted({etree.QName(child).localname for child in holder
                            if etree.QName(child).localname not in ("variable", "informationRequirement",
                                                                    "knowledgeRequirement", "formalParameter",
                                                                    "authorityRequirement", "extensionElements",
                                                                    "description", "question", "allowedAnswers")})
            if kinds:
                raise DmnError(f"{', '.join(kinds)} is not supported; use a decision table or a literal "
                               f"expression", owner.get("id"), owner.sourceline)
        return None

    def _table(self, table: Any) -> DecisionTable:
        policy = (table.get("hitPolicy") or "UNIQUE").upper()
        aggregation = table.get("aggregation")
        if policy not in HIT_POLICIES or (aggregation and aggregation.upper() not in AGGREGATIONS):
            raise DmnError(f"unknown hit policy {policy} {aggregation or ''}".strip(), table.get("id"),
                           table.sourceline)
        inputs = tuple(self._input(i) for i in table.iter(self.tag("input")))
        outputs = tuple(self._output(o) for o in table.iter(self.tag("output")))
        rules = []
        for rule in table.iter(self.tag("rule")):
            tests = tuple(self._tests(e.find(self.tag("text")), e) or "True"
                          for e in rule.iter(self.tag("inputEntry")))
            values = tuple(self._expression(e.find(self.tag("text")), e) or "None"
                           for e in rule.iter(self.tag("outputEntry")))
            if len(tests) != len(inputs) or len(values) != len(outputs):
                raise DmnError("the rule has not one entry per input and output", rule.get("id"), rule.sourceline)
            rules.append(Rule(rule.get("id"), tests, values))
        return DecisionTable(policy, aggregation.upper() if aggregation else None, inputs, outputs, tuple(rules))

    def _input(self, column: Any) -> Column:
        expression = column.find(self.tag("inputExpression"))
        text = expression.find(self.tag("text")) if expression is not None else None
        source = self._expression(text, column)
        if not source:
            raise DmnError("the input has no expression", column.get("id"), column.sourceline)
        values = column.find(f"{self.tag('inputValues')}/{self.tag('text')}")
        label = column.get("label") or (text.text or "").strip() if text is not None else column.get("label")
        type_ref = expression.get("typeRef") if expression is not None else None
        return Column(column.get("id"), label or "", source, type_ref, self._tests(values, column))

    def _output(self, column: Any) -> Column:
        values = column.find(f"{self.tag('outputValues')}/{self.tag('text')}")
        order: tuple[str, ...] = ()
        if values is not None and (values.text or "").strip():
            listed = self._expression(values, column, text=f"[{values.text}]")
            order = (listed,) if listed else ()
        default = column.find(f"{self.tag('defaultOutputEntry')}/{self.tag('text')}")
        return Column(column.get("id"), column.get("label") or column.get("name") or "", column.get("name") or "",
                      column.get("typeRef"), self._tests(values, column), order,
                      self._expression(default, column))

    def _expression(self, text_element: Any, owner: Any, text: str | None = None) -> str | None:
        raw = text if text is not None else (text_element.text if text_element is not None else None)
        if raw is None or not raw.strip():
            return None
        try:
            return translate_feel(raw, names=self.names).source
        except ExpressionError as error:
            raise self._error(error, raw, text_element, owner) from error

    def _tests(self, text_element: Any, owner: Any) -> str | None:
        raw = text_element.text if text_element is not None else None
        if raw is None or not raw.strip():
            return None
        try:
            return translate_unary_tests(raw, names=self.names).source
        except ExpressionError as error:
            raise self._error(error, raw, text_element, owner) from error

    def _error(self, error: ExpressionError, raw: str, text_element: Any, owner: Any) -> DmnError:
        line = (text_element if text_element is not None else owner).sourceline
        return DmnError(f"FEEL {raw.strip()!r}: {error}", owner.get("id"), line)
