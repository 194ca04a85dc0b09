"""Every shipped procedure with an urgency (độ khẩn) sets it on the case, so the inbox's urgency filter finds it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from engine.clock import VirtualClock
from engine.deployment.service import collect_sources
from engine.inbox.queries import InboxFilter
from engine.org.demo import DEMO_ORG
from engine.persistence.case_fields import urgency_level
from engine.persistence.models import Instance
from engine.services import Services, build_services
from engine.settings import Settings
from tests.conftest import ROOT

PROCESSES = ROOT / "processes"


def _start_data(process: str) -> dict[str, Any]:
    """The first scenario's start data: what the procedure's start form submits."""
    scenarios = yaml.safe_load((PROCESSES / f"{process}.scenarios.yaml").read_text(encoding="utf-8"))
    data = dict(scenarios["scenarios"][0]["start"]["data"])
    data.pop("tep_van_ban", None)  # the incoming document's PDF is uploaded with the start (_register)
    return data


def _register(services: Services, data: dict[str, Any]) -> int:
    """Register an electronic incoming document with its PDF, as the clerk's start form does."""
    import io

    from engine.cases.attachments import Upload
    from engine.signing.sample import sample_document

    pdf = sample_document(title="CÔNG VĂN", agency="ỦY BAN NHÂN DÂN TỈNH", signer="Nguyễn Văn An").pdf
    return services.starter.start("incoming_document", user="vanthu", data=data,
                                  files={"tep_van_ban": [Upload("cong-van.pdf", io.BytesIO(pdf))]})


@pytest.fixture
def shipped(settings: Settings, clock: VirtualClock) -> Iterator[Services]:
    built = build_services(replace(settings, forms_dir=ROOT / "forms"), clock=clock, verify_state=True)
    built.org.import_file(DEMO_ORG)
    built.deployment.deploy(collect_sources([PROCESSES / "incoming_document.bpmn",
                                             PROCESSES / "outgoing_document.bpmn"]), deployed_by="test")
    yield built
    from tests.conftest import _empty_tables
    _empty_tables(built)
    built.close()


def urgency(services: Services, case: int) -> str | None:
    with services.db.connect() as conn:
        return conn.execute(select(Instance.urgency).where(Instance.id == case)).scalar()


@pytest.mark.parametrize(("value", "level"), [("hoa_toc", "flash"), ("thuong_khan", "top_urgent"),
                                              ("khan", "urgent"), ("thuong", "normal")])
def test_form_values_map_to_levels(value: str, level: str) -> None:
    assert urgency_level(value) == level


def test_the_incoming_document_sets_its_urgency_and_the_filter_finds_it(shipped: Services) -> None:
    data = _start_data("incoming_document")
    flash = _register(shipped, {**data, "do_khan": "hoa_toc"})
    normal = _register(shipped, {**data, "so_ky_hieu": "7/UBND"})
    assert (urgency(shipped, flash), urgency(shipped, normal)) == ("flash", "normal")
    leader = next(t.assignee or "chanhvp" for t in shipped.queries.tasks(instance_id=flash))
    found = shipped.inbox.page(leader, InboxFilter(urgency="flash"))
    assert [r.instance_id for r in found.rows] == [flash]
    assert [r.instance_id for r in shipped.inbox.page(leader, InboxFilter(urgency="normal")).rows] == [normal]
    # Urgency drives the deadline: the flash document's direction is due in one working hour, the normal one's in a day.
    due = {t.instance_id: t.due_at for t in shipped.queries.tasks(user=leader)}
    assert due[flash] is not None and due[normal] is not None and due[flash] < due[normal]


def test_the_outgoing_document_sets_its_urgency(shipped: Services) -> None:
    data = _start_data("outgoing_document")
    case = shipped.runtime.start("outgoing_document", data={**data, "do_khan": "thuong_khan"}, user="chuyenvien1")
    assert urgency(shipped, case) == "top_urgent"
    assert [r.instance_id for r in shipped.inbox.page("chuyenvien1", InboxFilter(urgency="top_urgent")).rows] == [case]
