"""What a process may declare about its start: refusals (confidential documents), business keys, duplicates."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.errors import Conflict, InvalidInput
from engine.i18n import N_
from engine.persistence.db import raise_if_unavailable
from engine.persistence.models import Instance, InstanceStatus
from engine.runtime.specs import LoadedSpec


def apply_start_rules(conn: Connection, spec: LoadedSpec, data: dict[str, Any], business_key: str | None,
                      environment: Any, timezone: str = "Asia/Ho_Chi_Minh") -> str | None:
    """Refuse a start the process's rules forbid; return the business key the case will carry.

    Raises:
        InvalidInput: ``refuseIf`` holds for the start data (its ``refuseMessage`` is the message), or a
            rule cannot be evaluated on the data given.
        Conflict: ``uniqueBusinessKey`` is set and a case with the same key already exists.
    """
    rules = spec.start or {}
    if rules.get("refuse_if") and _evaluate(environment, rules["refuse_if"], data, "refuseIf"):
        refused = rules.get("refuse_message")  # the designer's own words, shown as written
        if refused:
            raise InvalidInput("{message}", {"_": [refused]}, message=refused)
        raise InvalidInput(N_("{process_id} cannot be started with this data"),
                           {"_": [f"{spec.process_id} cannot be started with this data"]}, process_id=spec.process_id)
    key = business_key
    if key is None and rules.get("business_key"):
        key = str(_evaluate(environment, rules["business_key"], data, "businessKey"))
    if key and rules.get("unique_business_key"):
        _refuse_duplicate(conn, spec.process_id, key, timezone)
    return key


def _evaluate(environment: Any, expression: str, data: dict[str, Any], rule: str) -> Any:
    try:
        return environment.evaluate(expression, dict(data))
    except Exception as exc:  # the designer's expression meets data it did not expect: say which rule
        raise_if_unavailable(exc)
        raise InvalidInput(N_("the start data does not fit the process's {rule} rule ({expression}): {error}"),
                           {"_": [str(exc)]}, rule=rule, expression=expression, error=exc) from exc


def _refuse_duplicate(conn: Connection, process_id: str, key: str, timezone: str) -> None:
    existing = conn.execute(select(Instance.id, Instance.started_at).where(
        Instance.process_id == process_id, Instance.business_key == key,
        Instance.status != InstanceStatus.TERMINATED.value).order_by(Instance.id).limit(1)).first()
    if existing is not None:
        when = existing.started_at.astimezone(ZoneInfo(timezone))
        raise Conflict(N_("duplicate of case #{case} ({key}) registered at {when}"), case=existing.id, key=key,
                       when=when)
