"""``procflow message`` honours correlation keys; ``procflow undelivered`` shows what no case took."""

from __future__ import annotations

import json

from engine.services import Services
from tests.cli.test_commands import Cli, cli, org_cli, start  # noqa: F401 (fixtures)
from tests.conftest import FIXTURES


def test_a_message_goes_only_to_the_case_its_keys_name(org_cli: Cli, services: Services) -> None:  # noqa: F811
    org_cli.ok("deploy", str(FIXTURES / "routing" / "correlated.bpmn"))
    a = start(org_cli, "ho_so", "--key", "HS-A", "--data", json.dumps({"so_ho_so": "A"}))
    b = start(org_cli, "ho_so", "--key", "HS-B", "--data", json.dumps({"so_ho_so": "B"}))

    refused = org_cli.error("message", "ket_qua", "--key", "HS-A", "--data", json.dumps({"so_ho_so": "B", "x": 1}))
    assert "correlation" in refused
    assert "delivered; instance" in org_cli.ok("message", "ket_qua", "--key", "HS-B",
                                               "--data", json.dumps({"so_ho_so": "B", "x": 2}))
    assert (services.queries.instance(a).status, services.queries.instance(b).status) == ("running", "completed")
    assert "x" not in services.queries.instance(a).data

    sender = start(org_cli, "tra_ket_qua", "--data", json.dumps({"so_ho_so": "C"}))
    listed = org_cli.ok("undelivered").splitlines()
    assert len(listed) == 1 and f"instance {sender} (tra_ket_qua)" in listed[0]
    assert "ket_qua" in listed[0] and '"so_ho_so": "C"' in listed[0]
