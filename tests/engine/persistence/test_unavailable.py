"""Telling the database failing for a moment (try again) from the model failing (the case goes into error)."""

from __future__ import annotations

import sqlite3

import pytest
from SpiffWorkflow.exceptions import SpiffWorkflowException
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from engine.bpmn.execution import failure_from
from engine.errors import Unavailable
from engine.persistence.db import unavailable_from


def _wrapped(cause: BaseException) -> SpiffWorkflowException:
    """What SpiffWorkflow raises when a script meets ``cause``: its own exception, raised while handling it."""
    try:
        try:
            raise cause
        except BaseException:
            raise SpiffWorkflowException("Error evaluating expression 'deadline'")  # noqa: B904
    except SpiffWorkflowException as wrapped:
        return wrapped


@pytest.mark.parametrize("cause", [
    PoolTimeout("QueuePool limit of size 5 overflow 0 reached, connection timed out, timeout 2.00"),
    OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked")),
    Unavailable(),
])
def test_the_database_failing_inside_model_code_is_unavailable(cause: BaseException) -> None:
    assert isinstance(unavailable_from(_wrapped(cause)), Unavailable)
    with pytest.raises(Unavailable):
        failure_from(_wrapped(cause), workflow=None)  # type: ignore[arg-type]


@pytest.mark.parametrize("cause", [
    ZeroDivisionError("division by zero"),
    OperationalError("SELECT x FROM nowhere", {}, sqlite3.OperationalError("no such table: nowhere")),
])
def test_other_failures_stay_the_models(cause: BaseException) -> None:
    assert unavailable_from(_wrapped(cause)) is None
