"""Scenario files (``*.scenarios.yaml``): reading them and checking their shape with marshmallow."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from engine.errors import InvalidInput
from engine.i18n import N_
from engine.org.demo import DEMO_ORG
from engine.persistence.models import InstanceStatus

SUFFIXES = (".scenarios.yaml", ".scenarios.yml")
ACTIONS = ("complete", "advance", "deliver", "expect")
REFUSABLE = ("complete", "deliver")
EXPECTATIONS = ("tasks", "state", "data", "notifications", "history", "path", "title")
WORKING = ("working_days", "working_hours")
PLAIN = ("days", "hours", "minutes")


class _Loader(yaml.SafeLoader):
    """Safe YAML that keeps timestamps as text: moments are checked by the schemas, data stays plain JSON."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class Moment(fields.Field[datetime]):
    """An ISO 8601 moment that carries its UTC offset (without one it would be ambiguous)."""

    default_error_messages = {
        "invalid": "not an ISO 8601 moment such as 2026-04-29T09:00:00+07:00",
        "naive": "has no UTC offset; write it with one, e.g. 2026-04-29T09:00:00+07:00",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> datetime:
        if isinstance(value, datetime):
            moment = value
        else:
            try:
                moment = datetime.fromisoformat(str(value).strip())
            except ValueError as exc:
                raise self.make_error("invalid") from exc
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise self.make_error("naive")
        return moment


def _data() -> fields.Dict:
    return fields.Dict(keys=fields.String(), load_default=dict)


_NAME = validate.Length(1, 200)
_AMOUNT = validate.Range(min=0, max=100_000)


class StartSchema(Schema):
    user = fields.String(load_default=None, allow_none=True, validate=_NAME)
    key = fields.String(load_default=None, allow_none=True, validate=_NAME)
    data = _data()
    # A start the process must refuse (a confidential document, a duplicate): the scenario ends there.
    expect_error = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1))


class CompleteSchema(Schema):
    task = fields.String(required=True, validate=_NAME)
    as_ = fields.String(data_key="as", required=True, validate=_NAME)
    data = _data()


class AdvanceSchema(Schema):
    working_days = fields.Integer(validate=_AMOUNT, strict=True)
    working_hours = fields.Float(validate=_AMOUNT)
    days = fields.Float(validate=_AMOUNT)
    hours = fields.Float(validate=_AMOUNT)
    minutes = fields.Float(validate=_AMOUNT)
    to = Moment()

    @validates_schema
    def one_kind(self, data: dict[str, Any], **_: Any) -> None:
        """Working time, plain time and a moment do not mix: say which one the step means."""
        kinds = [bool(set(data) & set(WORKING)), bool(set(data) & set(PLAIN)), "to" in data]
        if sum(kinds) != 1:
            raise ValidationError("give working_days/working_hours, or days/hours/minutes, or to: <moment>")


class DeliverSchema(Schema):
    message = fields.String(required=True, validate=_NAME)
    data = _data()


class TaskExpectSchema(Schema):
    task = fields.String(required=True, validate=_NAME)
    name = fields.String()
    candidates = fields.List(fields.String())
    assignee = fields.String(allow_none=True)
    due = Moment(allow_none=True)


class NotificationExpectSchema(Schema):
    to = fields.String(required=True, validate=_NAME)
    kind = fields.String(required=True, validate=_NAME)


class ExpectSchema(Schema):
    tasks = fields.List(fields.Nested(TaskExpectSchema))
    state = fields.String(validate=validate.OneOf([s.value for s in InstanceStatus]))
    data = fields.Dict(keys=fields.String())
    notifications = fields.List(fields.Nested(NotificationExpectSchema))
    history = fields.List(fields.String(validate=_NAME))
    path = fields.List(fields.String(validate=_NAME))
    title = fields.String(allow_none=True)

    @validates_schema
    def something(self, data: dict[str, Any], **_: Any) -> None:
        """An empty expectation checks nothing, which is surely a mistake."""
        if not data:
            raise ValidationError(f"expect at least one of {', '.join(EXPECTATIONS)}")


class StepSchema(Schema):
    complete = fields.Nested(CompleteSchema)
    advance = fields.Nested(AdvanceSchema)
    deliver = fields.Nested(DeliverSchema)
    expect = fields.Nested(ExpectSchema)
    expect_error = fields.String(validate=validate.Length(min=1))

    @validates_schema
    def one_action(self, data: dict[str, Any], **_: Any) -> None:
        """A step does exactly one thing; only the things that can be refused take ``expect_error``."""
        actions = [a for a in ACTIONS if a in data]
        if len(actions) != 1:
            raise ValidationError(f"give exactly one of {', '.join(ACTIONS)}")
        if "expect_error" in data and actions[0] not in REFUSABLE:
            raise ValidationError(f"only {' and '.join(REFUSABLE)} steps can expect an error", "expect_error")


class ScenarioSchema(Schema):
    name = fields.String(required=True, validate=_NAME)
    start = fields.Nested(StartSchema, load_default=lambda: StartSchema().load({}))
    steps = fields.List(fields.Nested(StepSchema), load_default=list)


class ScenarioFileSchema(Schema):
    process = fields.String(required=True, validate=_NAME)
    models = fields.List(fields.String(validate=_NAME), validate=validate.Length(min=1))
    org = fields.String(validate=_NAME)
    start_at = Moment()
    scenarios = fields.List(fields.Nested(ScenarioSchema), required=True, validate=validate.Length(min=1))

    @validates_schema
    def unique_names(self, data: dict[str, Any], **_: Any) -> None:
        """Scenario names identify results and ``-k`` selections, so a file uses each once."""
        names = [s["name"] for s in data.get("scenarios", [])]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValidationError(f"scenario names must be unique in a file: {', '.join(twice)}", "scenarios")


_FILE = ScenarioFileSchema()


@dataclass(frozen=True)
class Step:
    """One step of a scenario: an action with its arguments, numbered from 1."""

    number: int
    action: str
    args: dict[str, Any]
    expect_error: str | None = None

    @property
    def label(self) -> str:
        """A short description such as ``complete vao_so as vanthu`` for reports."""
        if self.action == "complete":
            return f"complete {self.args['task']} as {self.args['as_']}"
        if self.action == "deliver":
            return f"deliver {self.args['message']}"
        if self.action == "advance":
            amounts = ", ".join(f"{k}: {_plain(v)}" for k, v in self.args.items())
            return f"advance {amounts}"
        return self.action


@dataclass(frozen=True)
class Scenario:
    """A named story: how the instance starts and the steps that follow."""

    name: str
    start: dict[str, Any]
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class ScenarioFile:
    """A scenario file with its references resolved against its folder."""

    path: Path
    process: str
    models: tuple[Path, ...]
    org: Path
    start_at: datetime
    scenarios: tuple[Scenario, ...]


def is_scenario_file(path: Path) -> bool:
    """True when ``path`` is named like a scenario file."""
    return path.name.endswith(SUFFIXES)


def stem_of(path: Path) -> str:
    """The process file stem a scenario file belongs to (``a.scenarios.yaml`` -> ``a``)."""
    name = path.name
    return next((name[: -len(s)] for s in SUFFIXES if name.endswith(s)), path.stem)


def load_scenario_file(path: Path, *, now: datetime | None = None) -> ScenarioFile:
    """Read and check a scenario file.

    Args:
        path: the ``*.scenarios.yaml`` file.
        now: the virtual clock's start when the file gives no ``start_at`` (default: this moment).

    Raises:
        InvalidInput: naming the file, the scenario, the step and the field of every problem.
    """
    raw = _read_yaml(path)
    try:
        loaded = _FILE.load(raw)
    except ValidationError as exc:
        problems = [f"{_where(where, raw)}{message}" for where, message in _flatten(exc.messages, ())]
        raise InvalidInput(N_("{path}: {problems}"), path=path, problems="; ".join(problems)) from exc
    models = tuple(path.parent / m for m in loaded.get("models") or [stem_of(path) + ".bpmn"])
    org = path.parent / loaded["org"] if "org" in loaded else DEMO_ORG
    for field_name, wanted in [*(("models", m) for m in models), ("org", org)]:
        if not wanted.is_file():
            raise InvalidInput(N_("{path}: {field_name}: no such file {wanted}"), path=path, field_name=field_name,
                               wanted=wanted)
    scenarios = tuple(_scenario(s) for s in loaded["scenarios"])
    start_at = loaded.get("start_at") or now or datetime.now(UTC)
    return ScenarioFile(path, loaded["process"], models, org, start_at, scenarios)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=_Loader)  # noqa: S506 (a safe loader)
    except OSError as exc:
        raise InvalidInput(N_("{path}: cannot read it ({error})"), path=path, error=exc.strerror) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise InvalidInput(N_("{path}{where}: not valid YAML ({problem})"), path=path, where=where,
                           problem=getattr(exc, 'problem', None) or exc) from exc
    if not isinstance(data, dict):
        raise InvalidInput(N_("{path}: expected a mapping with process and scenarios"), path=path)
    return data


def _scenario(loaded: dict[str, Any]) -> Scenario:
    steps = []
    for number, raw in enumerate(loaded["steps"], start=1):
        action = next(a for a in ACTIONS if a in raw)
        steps.append(Step(number, action, raw[action], raw.get("expect_error")))
    return Scenario(loaded["name"], loaded["start"], tuple(steps))


def _flatten(messages: Any, where: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Turn marshmallow's nested messages into (location, message) pairs."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            yield from _flatten(value, where if key == "_schema" else (*where, key))
    elif isinstance(messages, list):
        for message in messages:
            yield from _flatten(message, where)
    else:
        yield where, str(messages)


def _where(where: tuple[Any, ...], raw: dict[str, Any]) -> str:
    """Say where a problem is: ``scenario 2 'Name', step 3, complete.as: `` (numbers count from 1)."""
    parts, out = list(where), []
    if len(parts) > 1 and parts[0] == "scenarios" and isinstance(parts[1], int):
        out.append(f"scenario {parts[1] + 1}{_name_of(raw, parts[1])}")
        parts = parts[2:]
        if len(parts) > 1 and parts[0] == "steps" and isinstance(parts[1], int):
            out.append(f"step {parts[1] + 1}")
            parts = parts[2:]
    field_path = ""
    for part in parts:
        field_path += f"[{part + 1}]" if isinstance(part, int) else f"{'.' if field_path else ''}{part}"
    if field_path:
        out.append(field_path)
    return ", ".join(out) + ": " if out else ""


def _name_of(raw: dict[str, Any], index: int) -> str:
    scenarios = raw.get("scenarios")
    if isinstance(scenarios, list) and index < len(scenarios) and isinstance(scenarios[index], dict):
        name = scenarios[index].get("name")
        if isinstance(name, str):
            return f" '{name}'"
    return ""


def _plain(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return f"{value:g}" if isinstance(value, float) else str(value)
