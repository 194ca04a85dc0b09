"""Messages and signals between cases: a request starts another procedure, its report comes back, a signal
reaches every case waiting for it; all in the sending step's transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.deployment.service import collect_sources
from engine.errors import InvalidState, NotFound
from engine.persistence.models import EventSubscription, Instance
from engine.services import Services
from tests.conftest import FIXTURES

ROUTING = FIXTURES / "routing"


@pytest.fixture
def routed(services: Services) -> Services:
    services.org.import_file(FIXTURES / "org.yaml")
    services.deployment.deploy(collect_sources([ROUTING / "request.bpmn", ROUTING / "report.bpmn",
                                                ROUTING / "signal.bpmn", FIXTURES / "approve.bpmn"]))
    return services


def _subscriptions(services: Services) -> list[tuple[int, str, str]]:
    with services.db.read() as session:
        return [tuple(r) for r in session.execute(select(EventSubscription.instance_id, EventSubscription.kind,
                                                         EventSubscription.name).order_by(EventSubscription.id))]


def _history(services: Services, instance_id: int, kind: str) -> list[dict]:
    return [h.data for h in services.queries.instance(instance_id).history if h.kind == kind]


def _instances_of(services: Services, process_id: str) -> list[int]:
    with services.db.read() as session:
        return list(session.scalars(select(Instance.id).where(Instance.process_id == process_id)
                                    .order_by(Instance.id)))


def _complete_only_task(services: Services, instance_id: int, user: str, data: dict | None = None) -> None:
    (task,) = services.queries.tasks(instance_id=instance_id)
    services.runtime.complete_task(task.id, user=user, data=data or {})


def test_a_message_starts_the_procedure_that_waits_for_it_and_its_reply_comes_back(routed: Services) -> None:
    request = routed.runtime.start("yeu_cau_bao_cao", user="chuyenvien", data={"ky_bao_cao": "Quý III/2026"})

    (report,) = _instances_of(routed, "lap_bao_cao")
    assert routed.queries.instance(report).data["ky_bao_cao"] == "Quý III/2026"  # the request's data came along
    assert _history(routed, request, "message_sent") == [
        {"message": "yeu_cau_bao_cao", "delivered_to": [], "started": [report]}]
    (started,) = _history(routed, report, "instance_started")
    assert started["message"] == "yeu_cau_bao_cao" and started["from_instance"] == request
    assert _subscriptions(routed) == [(request, "message", "bao_cao_da_gui")]

    _complete_only_task(routed, report, "chuyenvien", {"so_trang": 4})

    assert routed.queries.instance(report).status == "completed"
    view = routed.queries.instance(request)
    assert [t.element_id for t in view.open_tasks] == ["read_report"]
    assert view.data["so_trang"] == 4
    (received,) = _history(routed, request, "message_received")
    assert received["message"] == "bao_cao_da_gui" and received["from_instance"] == report
    assert _subscriptions(routed) == []


def test_a_reply_goes_back_to_the_case_that_asked(routed: Services) -> None:
    first = routed.runtime.start("yeu_cau_bao_cao", user="chuyenvien")
    second = routed.runtime.start("yeu_cau_bao_cao", user="chuyenvien")
    first_report, second_report = _instances_of(routed, "lap_bao_cao")

    _complete_only_task(routed, second_report, "chuyenvien")

    assert _history(routed, second, "message_received")
    assert not _history(routed, first, "message_received")  # although it has waited longer
    assert _subscriptions(routed) == [(first, "message", "bao_cao_da_gui")]
    _complete_only_task(routed, first_report, "chuyenvien")
    assert _history(routed, first, "message_received")


def test_a_message_from_outside_goes_to_the_case_that_has_waited_longest(routed: Services) -> None:
    first = routed.runtime.start("yeu_cau_bao_cao", user="chuyenvien")
    second = routed.runtime.start("yeu_cau_bao_cao", user="chuyenvien")

    routed.runtime.send_message("bao_cao_da_gui", payload={"nguon": "ngoài hệ thống"})

    assert [h["from_instance"] for h in _history(routed, first, "message_received")] == [None]
    assert not _history(routed, second, "message_received")
    assert _subscriptions(routed) == [(second, "message", "bao_cao_da_gui")]


def test_a_suspended_case_receives_nothing_and_an_undelivered_message_is_recorded(routed: Services) -> None:
    request = routed.runtime.start("yeu_cau_bao_cao", user="chuyenvien")
    (report,) = _instances_of(routed, "lap_bao_cao")
    routed.runtime.suspend(request)

    _complete_only_task(routed, report, "chuyenvien")

    assert routed.queries.instance(report).status == "completed"
    assert _history(routed, report, "message_sent") == [
        {"message": "bao_cao_da_gui", "delivered_to": [], "started": []}]
    assert not _history(routed, request, "message_received")


def test_a_signal_reaches_every_waiting_case_and_starts_the_procedures_that_start_on_it(routed: Services) -> None:
    waiting = [routed.runtime.start("cho_ban_hanh", user="chuyenvien") for _ in range(2)]
    assert [s[0] for s in _subscriptions(routed)] == waiting
    issuing = routed.runtime.start("ban_hanh", user="bithu")

    _complete_only_task(routed, issuing, "bithu")

    for instance_id in waiting:
        assert [t.element_id for t in routed.queries.instance(instance_id).open_tasks] == ["apply"]
        (received,) = _history(routed, instance_id, "signal_received")
        assert received["signal"] == "van_ban_ban_hanh" and received["from_instance"] == issuing
    (summary,) = _instances_of(routed, "tong_hop_ban_hanh")
    assert _history(routed, issuing, "signal_sent") == [
        {"signal": "van_ban_ban_hanh", "delivered_to": waiting, "started": [summary]}]
    assert _subscriptions(routed) == []


def test_messages_and_signals_from_outside_are_routed_by_name(routed: Services) -> None:
    assert routed.runtime.send_message("yeu_cau_bao_cao", payload={"ky_bao_cao": "Năm 2026"}) is None
    (report,) = _instances_of(routed, "lap_bao_cao")
    assert routed.queries.instance(report).data["ky_bao_cao"] == "Năm 2026"

    waiting = routed.runtime.start("cho_ban_hanh", user="chuyenvien")
    routed.runtime.send_signal("van_ban_ban_hanh")
    assert [t.element_id for t in routed.queries.instance(waiting).open_tasks] == ["apply"]
    assert len(_instances_of(routed, "tong_hop_ban_hanh")) == 1


def test_a_message_nobody_waits_for_from_outside_is_refused_and_changes_nothing(routed: Services) -> None:
    with pytest.raises(NotFound, match="no running case waits for the message 'khong_ai_cho'"):
        routed.runtime.send_message("khong_ai_cho")
    with pytest.raises(NotFound, match="signal 'khong_ai_cho'"):
        routed.runtime.send_signal("khong_ai_cho")
    assert routed.queries.instances() == []


def test_a_case_that_ends_or_is_cancelled_stops_waiting(routed: Services) -> None:
    waiting = routed.runtime.start("cho_ban_hanh", user="chuyenvien")
    assert _subscriptions(routed) == [(waiting, "signal", "van_ban_ban_hanh")]
    routed.runtime.terminate(waiting, user="bithu", reason="không còn cần")
    assert _subscriptions(routed) == []
    routed.runtime.send_signal("van_ban_ban_hanh")  # starts the summary procedure; the cancelled case hears nothing
    assert not _history(routed, waiting, "signal_received")
    assert len(_instances_of(routed, "tong_hop_ban_hanh")) == 1


def test_models_that_message_each_other_for_ever_fail_the_step_and_save_nothing(services: Services) -> None:
    services.deployment.deploy(collect_sources([ROUTING / "pingpong.bpmn"]))
    with pytest.raises(InvalidState, match="send each other messages for ever"):
        services.runtime.send_message("ping")
    assert services.queries.instances() == []


def test_the_cli_sends_messages_and_signals_by_name(routed: Services, settings) -> None:
    from click.testing import CliRunner

    from cli.main import main

    env = {"DATABASE_URL": settings.database_url, "PROCFLOW_HOME": str(settings.home),
           "PROCFLOW_FORMS": str(settings.forms_dir)}
    runner = CliRunner()
    sent = runner.invoke(main, ["message", "yeu_cau_bao_cao", "--data", '{"ky_bao_cao": "Quý IV"}'], env=env)
    assert sent.exit_code == 0, sent.output
    assert "delivered" in sent.output
    assert len(_instances_of(routed, "lap_bao_cao")) == 1
    refused = runner.invoke(main, ["signal", "khong_ai_cho"], env=env)
    assert refused.exit_code != 0
    assert refused.stderr.startswith("error: ")
    assert "no running case waits for the signal 'khong_ai_cho'" in refused.stderr
    assert "Traceback" not in refused.output


def test_a_process_with_a_hand_start_and_a_message_start_starts_at_the_one_used(services: Services) -> None:
    services.org.import_file(FIXTURES / "org.yaml")
    services.deployment.deploy(collect_sources([ROUTING / "two_starts.bpmn"]))

    services.runtime.send_message("van_ban_dien_tu", payload={"so_ky_hieu": "125/UBND-VP"})
    (by_message,) = _instances_of(services, "tiep_nhan_van_ban")
    view = services.queries.instance(by_message)
    assert [t.element_id for t in view.open_tasks] == ["register"]  # once: the hand start did not also run
    assert view.data["so_ky_hieu"] == "125/UBND-VP"
    assert [h.element_id for h in view.history if h.kind == "element_completed"] == ["by_message"]

    by_hand = services.runtime.start("tiep_nhan_van_ban", user="vanthu")
    view = services.queries.instance(by_hand)
    assert [t.element_id for t in view.open_tasks] == ["register"]
    assert [h.element_id for h in view.history if h.kind == "element_completed"] == ["by_hand"]
    assert _subscriptions(services) == []  # the message start was not left waiting


def test_a_process_with_a_hand_start_and_a_timer_start_starts_by_itself_once(services: Services, clock) -> None:
    from datetime import UTC, datetime

    services.deployment.deploy(collect_sources([ROUTING / "two_starts.bpmn"]))
    clock.set(datetime(2026, 6, 1, 1, 0, tzinfo=UTC))  # 08:00 +07:00
    assert services.timers.fire_due() == 1
    (case,) = _instances_of(services, "bao_cao_thang")
    view = services.queries.instance(case)
    assert [t.element_id for t in view.open_tasks] == ["write"]
    assert [h.element_id for h in view.history if h.kind == "element_completed"] == ["month_start"]
    assert services.timers.fire_due() == 0


def test_a_receive_task_that_instantiates_a_process_without_start_event_starts_it(services: Services) -> None:
    deployed = services.deployment.deploy(collect_sources([ROUTING / "receive_starts.bpmn"]))
    # a pool marked not executable is kept as a diagram, not run
    assert [(d.process_id, d.note is None) for d in deployed] == [("tong_hop_gop_y", True), ("hop_den", False)]

    services.runtime.send_message("y_kien_gop_y", payload={"noi_dung": "Đề nghị bổ sung điều 5"})

    (case,) = _instances_of(services, "tong_hop_gop_y")
    view = services.queries.instance(case)
    assert [t.element_id for t in view.open_tasks] == ["summarise"]
    assert view.data["noi_dung"] == "Đề nghị bổ sung điều 5"
