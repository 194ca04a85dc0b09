"""Evaluating DMN decisions read by engine.bpmn.dmn.model: decision tables with every hit policy, literal
expressions, required decisions and business knowledge models, with FEEL's values and null rules.

The translated Python is evaluated by a function the caller gives (the script engine's sandbox when a
business rule task runs, plain ``eval`` over the FEEL functions otherwise).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from engine.bpmn.dmn.model import Column, Decision, DecisionTable, Definitions, DmnError
from engine.bpmn.expressions import CLOCK_NAME, EXPRESSION_FUNCTIONS, feel_free_names, python_name
from engine.bpmn.expressions.feel import INPUT
from engine.bpmn.expressions.feel_functions import fn_max, fn_min, fn_sum
from engine.bpmn.expressions.feel_values import YearsMonths, compare, equal, is_number, number

Evaluate = Callable[[str, dict[str, Any]], Any]


def plain_evaluate(source: str, namespace: dict[str, Any]) -> Any:
    """Evaluate translated FEEL with nothing but the FEEL functions (tools and tests; no task runs it)."""
    return eval(source, {**EXPRESSION_FUNCTIONS, **namespace})  # noqa: S307 - our own translation


_TYPES: dict[str, Callable[[Any], bool]] = {
    "number": is_number, "string": lambda v: isinstance(v, str), "boolean": lambda v: isinstance(v, bool),
    "date": lambda v: isinstance(v, date) and not isinstance(v, datetime),
    "dateTime": lambda v: isinstance(v, datetime), "date and time": lambda v: isinstance(v, datetime),
    "time": lambda v: isinstance(v, time), "dayTimeDuration": lambda v: isinstance(v, timedelta),
    "days and time duration": lambda v: isinstance(v, timedelta),
    "yearMonthDuration": lambda v: isinstance(v, YearsMonths),
    "years and months duration": lambda v: isinstance(v, YearsMonths),
    "integer": lambda v: is_number(v) and number(v) == number(v).to_integral_value(),
}


class DecisionEvaluator:
    """Evaluates the decisions of one DMN file over input values given by name."""

    def __init__(self, definitions: Definitions, *, evaluate: Evaluate = plain_evaluate,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.definitions = definitions
        self._evaluate = evaluate
        self._clock = clock

    def decide(self, key: str, inputs: dict[str, Any]) -> Any:
        """The result of the decision with id or name ``key``: a value, a context (several outputs) or a list.

        Raises:
            DmnError: a unique table matched several rules, an ANY table disagreed, or a decision is missing.
        """
        namespace = {python_name(name): _feel(value) for name, value in inputs.items()}
        for name, type_ref in self.definitions.inputs.values():
            key_name = python_name(name)
            if key_name in namespace and not self._conforms(namespace[key_name], type_ref):
                namespace[key_name] = None
        if self._clock is not None:
            namespace[CLOCK_NAME] = self._clock
        return self._decision(self.definitions.decision(key), namespace, set())

    # -- decisions -------------------------------------------------------------------------------
    def _decision(self, decision: Decision, namespace: dict[str, Any], busy: set[str]) -> Any:
        if decision.id in busy:
            raise DmnError(f"decision {decision.name!r} requires itself", decision.id)
        busy = busy | {decision.id}
        scope = dict(namespace)
        for required in decision.requires:
            other = self.definitions.decisions.get(required)
            if other is None:
                raise DmnError(f"decision {decision.name!r} requires {required!r}, which is not in the file",
                               decision.id)
            scope[python_name(other.name)] = self._decision(other, namespace, busy)
        self._add_knowledge(decision, scope, busy)
        result = self._logic(decision.logic, scope)
        return result if self._conforms(result, decision.type_ref) else None

    def _add_knowledge(self, decision: Decision, scope: dict[str, Any], busy: set[str]) -> None:
        for required in decision.knowledge:
            model = self.definitions.knowledge.get(required)
            if model is not None:
                scope[python_name(model.name)] = self._function(model, scope, busy)

    def _function(self, model: Decision, scope: dict[str, Any], busy: set[str]) -> Callable[..., Any]:
        def invoke(*args: Any) -> Any:
            inner = dict(scope)
            inner.update({python_name(name): value for name, value in zip(model.parameters, args, strict=False)})
            self._add_knowledge(model, inner, busy)
            return self._logic(model.logic, inner)
        return invoke

    def _logic(self, logic: DecisionTable | str | None, scope: dict[str, Any]) -> Any:
        if logic is None:
            return None
        if isinstance(logic, str):
            return self._run(logic, scope)
        return self._table(logic, scope)

    def _run(self, source: str, scope: dict[str, Any]) -> Any:
        missing = {name: None for name in feel_free_names(source) if name not in scope}
        return self._evaluate(source, {**missing, **scope} if missing else scope)

    def _conforms(self, value: Any, type_ref: str | None) -> bool:
        if value is None or not type_ref:
            return True
        base, allowed = self.definitions.types.get(type_ref, (type_ref, None))
        if isinstance(value, list) or isinstance(value, dict):
            return True  # collections and structures: their items are not checked
        check = _TYPES.get((base or "").removeprefix("feel:"))
        if check is not None and not check(value):
            return False
        return allowed is None or self._run(allowed, {INPUT: value}) is True

    # -- decision tables -------------------------------------------------------------------------
    def _table(self, table: DecisionTable, scope: dict[str, Any]) -> Any:
        values = [self._run(column.source, scope) for column in table.inputs]
        for column, value in zip(table.inputs, values, strict=True):
            if column.allowed and value is not None and self._run(column.allowed, {**scope, INPUT: value}) is not True:
                raise DmnError(f"input {column.label!r} is {value!r}, which is not one of its input values",
                               column.id)
        rows = []
        for rule in table.rules:
            if all(self._run(test, {**scope, INPUT: value}) is True
                   for test, value in zip(rule.tests, values, strict=True)):
                rows.append([self._output(column, source, scope)
                             for column, source in zip(table.outputs, rule.outputs, strict=True)])
        return _HIT_POLICIES[table.hit_policy](self, table, rows, scope)

    def _output(self, column: Column, source: str, scope: dict[str, Any]) -> Any:
        value = self._run(source, scope)
        if column.allowed and value is not None and self._run(column.allowed, {INPUT: value}) is not True:
            return None
        return value

    def _shape(self, table: DecisionTable, row: list[Any]) -> Any:
        """One matched rule's outputs: the value of a single output, else a context by output name."""
        if len(table.outputs) == 1:
            return row[0]
        return {column.source: value for column, value in zip(table.outputs, row, strict=True)}

    def _default(self, table: DecisionTable, scope: dict[str, Any]) -> list[Any] | None:
        if not any(column.default for column in table.outputs):
            return None
        return [self._run(column.default, scope) if column.default else None for column in table.outputs]

    def _priority(self, table: DecisionTable, scope: dict[str, Any]) -> Callable[[list[Any]], tuple[int, ...]]:
        orders = [self._run(column.allowed_order[0], scope) if column.allowed_order else [] for column in table.outputs]

        def key(row: list[Any]) -> tuple[int, ...]:
            return tuple(next((n for n, v in enumerate(order) if equal(v, value)), len(order))
                         for order, value in zip(orders, row, strict=True))
        return key

    def _single(self, table: DecisionTable, rows: list[list[Any]], scope: dict[str, Any]) -> Any:
        if not rows:
            default = self._default(table, scope)
            return self._shape(table, default) if default else None
        policy = table.hit_policy
        if policy == "UNIQUE" and len(rows) > 1:
            raise DmnError(f"{len(rows)} rules match but the hit policy is UNIQUE")
        if policy == "ANY" and any(not all(equal(a, b) for a, b in zip(row, rows[0], strict=True)) for row in rows):
            raise DmnError("rules with different outputs match but the hit policy is ANY")
        if policy == "PRIORITY":
            rows = sorted(rows, key=self._priority(table, scope))
        return self._shape(table, rows[0])

    def _multiple(self, table: DecisionTable, rows: list[list[Any]], scope: dict[str, Any]) -> Any:
        if not rows:
            default = self._default(table, scope)
            rows = [default] if default else []
        if table.hit_policy == "OUTPUT ORDER":
            rows = sorted(rows, key=self._priority(table, scope))
        results = [self._shape(table, row) for row in rows]
        if table.hit_policy != "COLLECT" or table.aggregation is None:
            return results
        if len(table.outputs) != 1:
            raise DmnError(f"COLLECT {table.aggregation} needs a single output")
        if table.aggregation == "COUNT":
            return Decimal(len(results))
        present = [value for value in results if value is not None]
        if not present:
            return None
        return {"SUM": fn_sum, "MIN": fn_min, "MAX": fn_max}[table.aggregation](present)


_HIT_POLICIES: dict[str, Callable[[DecisionEvaluator, DecisionTable, list[list[Any]], dict[str, Any]], Any]] = {
    "UNIQUE": DecisionEvaluator._single, "ANY": DecisionEvaluator._single, "FIRST": DecisionEvaluator._single,
    "PRIORITY": DecisionEvaluator._single, "RULE ORDER": DecisionEvaluator._multiple,
    "OUTPUT ORDER": DecisionEvaluator._multiple, "COLLECT": DecisionEvaluator._multiple,
}


def _feel(value: Any) -> Any:
    """Task data as FEEL values: numbers become decimals (in lists and contexts too)."""
    if isinstance(value, list):
        return [_feel(item) for item in value]
    if isinstance(value, dict):
        return {key: _feel(item) for key, item in value.items()}
    return number(value) if is_number(value) else value


__all__ = ["DecisionEvaluator", "Evaluate", "compare", "plain_evaluate"]
