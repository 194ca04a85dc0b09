"""A correlated message reaches only the case whose keys it carries; one for nobody is kept as undelivered."""

from __future__ import annotations

import pytest

from engine.deployment.service import collect_sources
from engine.errors import InvalidState, NotFound
from engine.services import Services
from tests.conftest import FIXTURES


@pytest.fixture
def waiting(services: Services) -> tuple[Services, int, int]:
    """Two cases waiting for the message ``ket_qua``, the older with key A, the newer with key B."""
    services.org.import_file(FIXTURES / "org.yaml")
    services.deployment.deploy(collect_sources([FIXTURES / "routing" / "correlated.bpmn"]))
    a = services.runtime.start("ho_so", business_key="HS-A", data={"so_ho_so": "A", "nguoi_nop": "An"})
    b = services.runtime.start("ho_so", business_key="HS-B", data={"so_ho_so": "B", "nguoi_nop": "Bình"})
    return services, a, b


def _received(services: Services, instance_id: int) -> list[dict]:
    return [h.data for h in services.queries.history(instance_id) if h.kind == "message_received"]


def test_a_message_for_b_reaches_b_only_and_leaves_a_untouched(waiting: tuple[Services, int, int]) -> None:
    services, a, b = waiting
    before = services.queries.instance(a).data
    sender = services.runtime.start("tra_ket_qua", data={"so_ho_so": "B", "nguoi_nop": "Bảo", "ket_qua": "duyet"})

    assert services.queries.instance(b).status == "completed"
    assert services.queries.instance(b).data["ket_qua"] == "duyet"
    assert (services.queries.instance(a).status, services.queries.instance(a).data) == ("running", before)
    assert not _received(services, a)
    (sent,) = [h.data for h in services.queries.history(sender) if h.kind == "message_sent"]
    assert sent["delivered_to"] == [b]


def test_a_message_for_nobody_is_recorded_undelivered(waiting: tuple[Services, int, int]) -> None:
    services, a, b = waiting
    sender = services.runtime.start("tra_ket_qua", data={"so_ho_so": "C", "ket_qua": "tu_choi"})

    for case in (a, b):
        assert services.queries.instance(case).status == "running"
        assert "ket_qua" not in services.queries.instance(case).data
    (sent,) = [h.data for h in services.queries.history(sender) if h.kind == "message_sent"]
    assert (sent["delivered_to"], sent["started"]) == ([], [])
    assert sent["correlations"] == {"ma_ho_so": {"so_ho_so": "C"}}
    (undelivered,) = services.admin.undelivered()
    assert (undelivered.instance_id, undelivered.message, undelivered.correlations) == (
        sender, "ket_qua", {"ma_ho_so": {"so_ho_so": "C"}})


def test_a_message_from_outside_follows_its_keys_too(waiting: tuple[Services, int, int]) -> None:
    services, a, b = waiting
    with pytest.raises(InvalidState, match="correlation"):  # named case A, but the keys say B
        services.runtime.send_message("ket_qua", business_key="HS-A", payload={"so_ho_so": "B", "ket_qua": "x"})
    assert "ket_qua" not in services.queries.instance(a).data
    with pytest.raises(NotFound):  # nobody waits with key C
        services.runtime.send_message("ket_qua", payload={"so_ho_so": "C", "ket_qua": "x"})

    services.runtime.send_message("ket_qua", payload={"so_ho_so": "B", "ket_qua": "duyet"})

    assert (services.queries.instance(b).status, services.queries.instance(a).status) == ("completed", "running")
    assert "ket_qua" not in services.queries.instance(a).data
