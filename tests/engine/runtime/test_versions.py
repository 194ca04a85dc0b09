"""Versions of cases and tasks (engine/runtime/versions.py): every change named with a version that is no longer
current is refused (Stale) and changes nothing; a task named by another case is as missing."""

from __future__ import annotations

import pytest

from engine.errors import NotFound, Stale
from engine.runtime.versions import case_version, require_version, task_version
from engine.services import Services
from tests.engine.inbox.inbox_support import prepare, start_document, task_of


@pytest.fixture
def org(services: Services) -> Services:
    return prepare(services)


def test_versions_name_nobody_and_change_with_the_assignee() -> None:
    assert case_version(3) == "c3" and case_version(4) != case_version(3)
    assert task_version(3, None) != task_version(3, "chuyenvien") != task_version(4, "chuyenvien")
    assert "chuyenvien" not in task_version(3, "chuyenvien")
    require_version("c3", None)
    require_version("c3", "c3")
    with pytest.raises(Stale):
        require_version("c3", "c2")


def test_claim_unclaim_and_complete_refuse_a_stale_version(org: Services) -> None:
    case = start_document(org, "VB-1")
    task = task_of(org, case)
    _, first = org.work.task("chuyenvien", case, task.id)
    org.work.claim(task.id, "chuyenvien", instance_id=case, expected=first)
    view, second = org.work.task("chuyenvien", case, task.id)
    assert view.assignee == "chuyenvien" and second != first
    with pytest.raises(Stale):
        org.work.unclaim(task.id, "chuyenvien", instance_id=case, expected=first)
    with pytest.raises(Stale):
        org.runtime.complete_task(task.id, user="chuyenvien", data={}, expected=first)
    assert task_of(org, case).assignee == "chuyenvien"
    org.work.unclaim(task.id, "chuyenvien", instance_id=case, expected=second)
    assert task_of(org, case).assignee is None


def test_a_task_named_by_another_case_is_missing(org: Services) -> None:
    mine, other = start_document(org, "VB-1"), start_document(org, "VB-2")
    task = task_of(org, mine)
    with pytest.raises(NotFound):
        org.work.claim(task.id, "chuyenvien", instance_id=other)
    with pytest.raises(NotFound):
        org.work.task("chuyenvien", other, task.id)
    assert task_of(org, mine).assignee is None


def test_suspend_resume_and_terminate_check_the_cases_version(org: Services) -> None:
    case = start_document(org, "VB-1")
    before = org.cases.version(case, "vanthu")
    org.runtime.suspend(case, user="admin", expected=before)
    after = org.cases.version(case, "vanthu")
    assert after != before
    for act in (lambda: org.runtime.resume(case, expected=before),
                lambda: org.runtime.terminate(case, reason="x", expected=before)):
        with pytest.raises(Stale):
            act()
    assert org.queries.instance(case).status == "suspended"
    org.runtime.resume(case, expected=after)
    assert org.queries.instance(case).status == "running"


def test_my_cases_finds_words_of_the_business_key_and_summary(org: Services) -> None:
    start_document(org, "VB-1", trich_yeu="Về việc báo cáo quý")
    start_document(org, "CV-2", trich_yeu="Về kế hoạch đào tạo")
    assert org.cases.my_cases("vanthu").total == 2
    assert [r.business_key for r in org.cases.my_cases("vanthu", search="vb-1").rows] == ["VB-1"]
    assert [r.business_key for r in org.cases.my_cases("vanthu", search="dao tao").rows] == ["CV-2"]
    assert org.cases.my_cases("vanthu", search="100%").total == 0


def test_my_cases_search_reads_the_full_text_index_words_of_the_data_too(org: Services) -> None:
    first = start_document(org, "VB-1", trich_yeu="Về việc báo cáo quý")
    start_document(org, "VB-10", trich_yeu="Kế hoạch năm")
    org.runtime.complete_task(task_of(org, first).id, user="chuyenvien", data={"y_kien": "Đề xuất phương án"})
    assert [r.id for r in org.cases.my_cases("vanthu", search="phuong an").rows] == [first]  # the data's words
    assert [r.business_key for r in org.cases.my_cases("vanthu", search="VB-1").rows] == ["VB-1"]  # not VB-10
    assert [r.business_key for r in org.cases.my_cases("vanthu", search="bao ca").rows] == ["VB-1"]  # typing
    assert org.cases.my_cases("vanthu", search="  ,;- ").total == 0  # no word to find: nothing
    assert org.cases.my_cases("chuyenvien", search="phuong an").total == 1  # acted on it
    assert org.cases.my_cases("khach", search="phuong an").total == 0  # neither started nor acted
