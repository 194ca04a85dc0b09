"""``--data`` is read as strict JSON: one error line per trick, nothing computed, nothing changed."""

from __future__ import annotations

import pytest

from engine.services import Services
from tests.cli.test_commands import Cli, approve_cli, cli, org_cli, start  # noqa: F401 (fixtures)


@pytest.mark.parametrize(("data", "message"), [
    ('{"approved": NaN}', "error: --data is not valid JSON: NaN is not a JSON number at column 14"),
    ('{"n": -Infinity}', "error: --data is not valid JSON: -Infinity is not a JSON number at column 7"),
    ('{"n": 1e999}', "error: --data is not valid JSON: a number too large to store at column 7"),
    ('{"n": ' + "9" * 5000 + "}", "error: --data is not valid JSON: an integer of more than 30 digits at column 7"),
    ('{"n": ' + "[" * 65 + "]" * 65 + "}",
     "error: --data is not valid JSON: nested deeper than 64 levels at column 70"),
])
def test_tricks_in_data_are_one_error_line(approve_cli: Cli, services: Services, data: str,  # noqa: F811
                                           message: str) -> None:
    assert approve_cli.error("start", "approve", "--data", data) == message
    instance_id = start(approve_cli)
    assert approve_cli.error("retry", str(instance_id), "--data", data) == message
    assert approve_cli.error("message", "any", "--data", data) == message
    assert [i.id for i in services.queries.instances()] == [instance_id]
