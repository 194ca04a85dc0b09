"""Form drafts (saved as the user types, gone with the task) and saved inbox filters, on the real database."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.errors import Conflict, InvalidInput, InvalidState, NotFound, PermissionDenied
from engine.inbox.queries import InboxFilter
from engine.inbox.saved_filters import MAX_SAVED_FILTERS
from engine.services import Services, build_services
from tests.engine.inbox.inbox_support import prepare, start_document, task_of


@pytest.fixture
def org(services: Services) -> Services:
    return prepare(services)


def test_a_draft_is_saved_replaced_loaded_and_deleted(org: Services) -> None:
    task = task_of(org, start_document(org, "VB-1"))
    assert org.drafts.load(task.id, "chuyenvien") is None
    org.drafts.save(task.id, "chuyenvien", {"y_kien": "Đang"})
    org.clock.advance(timedelta(seconds=5))
    org.drafts.save(task.id, "chuyenvien", {"y_kien": "Đang xử lý"})
    draft = org.drafts.load(task.id, "chuyenvien")
    assert (draft.data, draft.updated_at) == ({"y_kien": "Đang xử lý"}, org.clock.now())
    assert org.drafts.load(task.id, "canbo") is None  # drafts are per user
    assert org.drafts.delete(task.id, "chuyenvien") is True
    assert org.drafts.delete(task.id, "chuyenvien") is False
    assert org.drafts.load(task.id, "chuyenvien") is None


def test_a_draft_survives_a_restart(org: Services, settings, clock) -> None:
    task = task_of(org, start_document(org, "VB-1"))
    org.drafts.save(task.id, "chuyenvien", {"so_trang": 3})
    org.close()
    again = build_services(settings, clock=clock)
    try:
        assert again.drafts.load(task.id, "chuyenvien").data == {"so_trang": 3}
    finally:
        again.close()


def test_drafts_go_with_the_task_when_it_is_completed_or_the_case_ends(org: Services) -> None:
    task = task_of(org, start_document(org, "VB-1"))
    org.drafts.save(task.id, "chuyenvien", {"a": 1})
    org.drafts.save(task.id, "canbo", {"b": 2})
    org.runtime.complete_task(task.id, user="chuyenvien", data={"a": 1})
    assert org.drafts.load(task.id, "chuyenvien") is None
    assert org.drafts.load(task.id, "canbo") is None
    with pytest.raises(Conflict, match="already completed by chuyenvien"):
        org.drafts.save(task.id, "chuyenvien", {"a": 2})
    case = start_document(org, "VB-2")
    other = task_of(org, case)
    org.drafts.save(other.id, "chuyenvien", {"c": 3})
    org.runtime.terminate(case, user="bithu")
    assert org.drafts.load(other.id, "chuyenvien") is None


def test_only_those_who_may_work_on_the_task_keep_drafts_of_it(org: Services) -> None:
    task = task_of(org, start_document(org, "VB-1"))
    with pytest.raises(PermissionDenied):
        org.drafts.save(task.id, "vanthu", {"a": 1})
    org.work.claim(task.id, "canbo")
    with pytest.raises(PermissionDenied, match="assigned to canbo"):
        org.drafts.save(task.id, "chuyenvien", {"a": 1})
    with pytest.raises(NotFound):
        org.drafts.save("00000000-0000-0000-0000-000000000000", "canbo", {"a": 1})
    with pytest.raises(InvalidInput, match="too large"):
        org.drafts.save(task.id, "canbo", {"a": "x" * 600_000})
    with pytest.raises(InvalidInput, match="plain JSON"):
        org.drafts.save(task.id, "canbo", {"a": object()})


def test_saved_filters_are_per_user_with_unique_names(org: Services) -> None:
    urgent = InboxFilter(urgency="flash", state="overdue")
    org.saved_filters.save("chuyenvien", "Hỏa tốc quá hạn", urgent)
    org.saved_filters.save("chuyenvien", "Văn bản", InboxFilter(process_id="document"))
    org.saved_filters.save("canbo", "Văn bản", InboxFilter(search="cv"))
    org.clock.advance(timedelta(minutes=1))
    replaced = org.saved_filters.save("chuyenvien", "Văn bản", InboxFilter(process_id="document", scope="assigned"))
    mine = org.saved_filters.list_for("chuyenvien")
    assert [(f.name, f.filters) for f in mine] == [
        ("Hỏa tốc quá hạn", urgent), ("Văn bản", InboxFilter(process_id="document", scope="assigned"))]
    assert replaced.updated_at == org.clock.now()
    assert [f.filters.search for f in org.saved_filters.list_for("canbo")] == ["cv"]
    org.saved_filters.delete("chuyenvien", "Văn bản")
    assert [f.name for f in org.saved_filters.list_for("chuyenvien")] == ["Hỏa tốc quá hạn"]
    with pytest.raises(NotFound):
        org.saved_filters.delete("chuyenvien", "Văn bản")
    with pytest.raises(NotFound):
        org.saved_filters.delete("canbo", "Hỏa tốc quá hạn")  # someone else's filter is not there for them


def test_saved_filter_names_and_owners_are_checked(org: Services) -> None:
    with pytest.raises(InvalidInput):
        org.saved_filters.save("chuyenvien", "  ", InboxFilter())
    with pytest.raises(InvalidInput):
        org.saved_filters.save("chuyenvien", "x" * 101, InboxFilter())
    with pytest.raises(NotFound):
        org.saved_filters.save("ghost", "mine", InboxFilter())
    for n in range(MAX_SAVED_FILTERS):
        org.saved_filters.save("chuyenvien", f"f{n}", InboxFilter())
    with pytest.raises(InvalidState, match="at most"):
        org.saved_filters.save("chuyenvien", "one more", InboxFilter())
    org.saved_filters.save("chuyenvien", "f0", InboxFilter(state="overdue"))  # replacing needs no room


def test_a_saved_filter_opens_the_inbox(org: Services) -> None:
    start_document(org, "VB-1", do_khan="hỏa tốc")
    start_document(org, "VB-2")
    org.saved_filters.save("chuyenvien", "Hỏa tốc", InboxFilter(urgency="flash"))
    saved = org.saved_filters.list_for("chuyenvien")[0]
    assert [r.business_key for r in org.inbox.page("chuyenvien", saved.filters).rows] == ["VB-1"]
