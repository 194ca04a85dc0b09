"""Messages from outside (another agency's confirmation) reach the instance waiting for them."""

from __future__ import annotations

import pytest

from engine.deployment.service import collect_sources
from engine.errors import InvalidState, NotFound
from engine.services import Services
from tests.conftest import FIXTURES


@pytest.fixture
def waiting(services: Services) -> Services:
    services.deployment.deploy(collect_sources([FIXTURES / "message.bpmn", FIXTURES / "approve.bpmn"]))
    return services


def test_a_message_moves_the_waiting_instance_and_carries_its_payload(waiting: Services) -> None:
    instance_id = waiting.runtime.start("transfer", business_key="DV-2026-017")
    assert waiting.queries.instance(instance_id).status == "running"
    waiting.runtime.send_message("xac_nhan_tiep_nhan", business_key="DV-2026-017",
                                 payload={"noi_nhan": "Đảng ủy xã A"}, user="vanthu")
    view = waiting.queries.instance(instance_id)
    assert view.status == "completed"
    assert view.data["noi_nhan"] == "Đảng ủy xã A"
    received = [h for h in view.history if h.kind == "message_received"]
    assert received[0].data == {"message": "xac_nhan_tiep_nhan", "payload": {"noi_nhan": "Đảng ủy xã A"}}


def test_an_instance_not_waiting_for_the_message_refuses_it(waiting: Services) -> None:
    instance_id = waiting.runtime.start("approve")
    with pytest.raises(InvalidState, match="not waiting for the message 'xac_nhan_tiep_nhan'"):
        waiting.runtime.send_message("xac_nhan_tiep_nhan", instance_id=instance_id)
    with pytest.raises(NotFound, match="no running instance"):
        waiting.runtime.send_message("xac_nhan_tiep_nhan", business_key="nope")
    assert waiting.queries.instance(instance_id).status == "running"


def test_the_cli_delivers_a_message(waiting: Services, settings) -> None:
    from click.testing import CliRunner

    from cli.main import main

    instance_id = waiting.runtime.start("transfer", business_key="DV-9")
    env = {"DATABASE_URL": settings.database_url, "PROCFLOW_HOME": str(settings.home),
           "PROCFLOW_FORMS": str(settings.forms_dir)}
    result = CliRunner().invoke(main, ["message", "xac_nhan_tiep_nhan", "--key", "DV-9", "--data", '{"ok": true}'],
                                env=env)
    assert result.exit_code == 0, result.output
    assert f"instance {instance_id} is completed" in result.output
    again = CliRunner().invoke(main, ["message", "xac_nhan_tiep_nhan", "--instance", str(instance_id)], env=env)
    assert again.exit_code == 1 and again.stderr.startswith("error: ")
