"""Full-text search over the cases a user may see: folding, ranking, snippets, filters, visibility, the index."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from engine.cases import search as search_module
from engine.cases.search import SearchFilters, Terms, snippet
from engine.errors import InvalidInput, NotFound
from engine.persistence.case_models import CaseSearchRow
from engine.persistence.search_index import data_texts, document, words
from engine.services import Services
from tests.engine.cases.test_case_access import EVERYONE
from tests.engine.inbox.inbox_support import deactivate, prepare, start_document, task_of


@pytest.fixture
def org(services: Services) -> Services:
    return prepare(services)


def found(services: Services, user: str, query: str, **filters: str) -> list[int]:
    return [h.id for h in services.search.search(user, query, SearchFilters.load(filters), per_page=100).hits]


def test_words_fold_case_diacritics_and_d() -> None:
    assert words("Đề nghị CÔNG VĂN số 12/UBND-VP") == ["de", "nghi", "cong", "van", "so", "12", "ubnd", "vp"]
    assert words("Hỏa tốc, Thượng khẩn; đồng ý!") == ["hoa", "toc", "thuong", "khan", "dong", "y"]


def test_data_text_keeps_what_people_wrote_and_drops_machine_values() -> None:
    data = {"trich_yeu": "Về việc  báo cáo", "so": 12, "ok": True, "ngay": "2026-12-05", "_internal": "x",
            "tep": {"filename": "Báo cáo.pdf", "sha256": "a" * 64}, "ds": ["Hà Nội", "Hà Nội"],
            "loai": "cong_van", "nguoi": "vanthu",
            "tep_van_ban": {"name": "Kế hoạch.pdf", "size": 28809, "content_type": "application/pdf",
                            "sha256": "b" * 64},
            "phu_luc": [{"name": "Phụ lục 1.docx", "size": 77, "content_type": "application/msword",
                         "sha256": "c" * 64}]}
    # of an attached file only its name: not its size, type or digest
    assert data_texts(data) == ["Về việc báo cáo", "12", "Báo cáo.pdf", "Hà Nội", "Kế hoạch.pdf", "Phụ lục 1.docx"]
    doc = document(title=None, summary="Công văn 12", business_key="12/UBND|Tỉnh|2026", data=data)
    assert doc.title == "Công văn 12" and doc.head == "cong van 12 12 ubnd tinh 2026"
    assert doc.content.startswith("Về việc báo cáo · 12")


def test_query_terms_for_both_databases() -> None:
    terms = Terms.parse("  Công văn 12/UBND-VP ")
    assert terms.groups == (("cong",), ("van",), ("12", "ubnd", "vp"))
    assert terms.postgres() == "('cong') & ('van') & ('12' <-> 'ubnd' <-> 'vp':*)"
    assert terms.sqlite() == '"cong" AND "van" AND "12 ubnd vp"*'
    assert not Terms.parse("  ,;- ") and Terms.parse("tháng 12").prefix is False


def test_snippet_marks_the_words_in_the_text_as_written() -> None:
    text = ("Kính gửi các đơn vị. " * 20 + "Đề nghị báo cáo tình hình thực hiện tháng 12 năm 2026. "
            + "Trân trọng. " * 20)
    pieces = snippet(text, Terms.parse("bao cao thang 12"))
    assert [p for p, hit in pieces if hit] == ["báo", "cáo", "tháng", "12"]
    assert pieces[0] == ("… ", False) and pieces[-1] == (" …", False)
    assert len("".join(p for p, _ in pieces)) < 240


def test_the_snippet_leaves_out_what_the_title_already_says() -> None:
    content = "Về việc báo cáo quý IV · 12/UBND · Đề nghị các phòng báo cáo số liệu trước ngày 20"
    title = "Số 12/UBND: Về việc báo cáo quý IV"  # made of the data's number and trích yếu
    pieces = snippet(content, Terms.parse("bao cao"), title=title)
    assert "".join(p for p, _ in pieces) == "Đề nghị các phòng báo cáo số liệu trước ngày 20"
    assert [p for p, hit in pieces if hit] == ["báo", "cáo"]
    # the only hits are in the title: the start of the rest, nothing marked; nothing else: no snippet
    assert snippet(content, Terms.parse("quy IV"), title=title) == [
        ("Đề nghị các phòng báo cáo số liệu trước ngày 20", False)]
    assert snippet("Về việc báo cáo quý IV · 12/UBND", Terms.parse("quy"), title=title) == []
    # a text that only shares some words with the title stays
    assert snippet("Báo cáo quý I", Terms.parse("quy"), title=title) == [
        ("Báo cáo ", False), ("quý", True), (" I", False)]


def test_a_hits_snippet_does_not_repeat_its_title(org: Services) -> None:
    case = start_document(org, "VB-1", user="vanthu", trich_yeu="Về việc tổ chức hội nghị tổng kết")
    org.runtime.complete_task(task_of(org, case).id, user="chuyenvien",
                              data={"y_kien": "Chuẩn bị hội trường cho hội nghị"})
    (hit,) = org.search.search("vanthu", "hoi nghi").hits
    assert hit.title == "Số 12/UBND: Về việc tổ chức hội nghị tổng kết"
    assert "".join(p for p, _ in hit.snippet) == "khẩn · Chuẩn bị hội trường cho hội nghị"  # not the trích yếu
    assert [p for p, h in hit.snippet if h] == ["hội", "hội", "nghị"]  # "hội trường" too: every word is marked
    (only_title,) = org.search.search("vanthu", "tong ket").hits
    assert "tổng kết" not in "".join(p for p, _ in only_title.snippet)


def test_a_word_without_diacritics_finds_the_case_by_summary_key_and_data(org: Services) -> None:
    one = start_document(org, "VB-1", user="vanthu", trich_yeu="Về việc tổ chức Hội nghị tổng kết tháng 12",
                         so="45/UBND-VP")
    two = start_document(org, "VB-2", user="vanthu", trich_yeu="Báo cáo đầu tư công", so="7/SKH")
    assert found(org, "vanthu", "hoi nghi") == [one]
    assert found(org, "vanthu", "HỘI NGHỊ") == [one]
    assert found(org, "vanthu", "tháng 12") == [one]
    assert found(org, "vanthu", "45/UBND-VP") == [one]
    assert found(org, "vanthu", "VP-UBND") == []  # the notation's words in the wrong order
    assert found(org, "vanthu", "dau tu") == [two]
    assert found(org, "vanthu", "dau tu co") == [two]  # the last word as typed so far
    assert found(org, "vanthu", "VB-2") == [two]
    assert found(org, "vanthu", "hoi nghi dau tu") == []  # every word must occur
    assert sorted(found(org, "vanthu", "")) == sorted([one, two])  # no words: the filters' cases


def test_ranking_puts_the_title_before_the_data(org: Services) -> None:
    in_title = start_document(org, "VB-1", user="vanthu", trich_yeu="Báo cáo ngân sách quý")
    org.clock.advance(timedelta(minutes=1))
    in_data = start_document(org, "VB-2", user="vanthu", trich_yeu="Kế hoạch năm")
    org.runtime.complete_task(task_of(org, in_data).id, user="chuyenvien", data={"y_kien": "Cân đối ngân sách"})
    # in_data changed last, but the title's hit ranks first.
    assert found(org, "vanthu", "ngan sach") == [in_title, in_data]
    hit = org.search.search("vanthu", "ngan sach").hits[0]
    assert [p for p, h in hit.title_marks if h] == ["ngân", "sách"]
    by_key = org.search.search("vanthu", "vb 1").hits[0]
    assert "".join(p for p, _ in by_key.key_marks) == "VB-1" and [p for p, h in by_key.key_marks if h] == ["VB", "1"]


def test_the_index_follows_each_step_in_its_transaction(org: Services) -> None:
    case = start_document(org, "VB-1", user="vanthu", trich_yeu="Công văn thường")
    task = task_of(org, case)
    org.runtime.complete_task(task.id, user="chuyenvien", data={"y_kien": "Đề xuất phương án hợp nhất"})
    assert found(org, "vanthu", "phuong an hop nhat") == [case]
    hit = org.search.search("vanthu", "hop nhat").hits[0]
    assert [p for p, h in hit.snippet if h] == ["hợp", "nhất"]
    # A refused step leaves no words.
    next_task = task_of(org, case)
    with pytest.raises(NotFound):
        org.runtime.complete_task(next_task.id, user="ghost", data={"y_kien": "Từ khóa lạ"})
    assert found(org, "vanthu", "tu khoa la") == []


def test_filters_procedure_status_unit_and_period(org: Services) -> None:
    first = start_document(org, "VB-1", user="vanthu", trich_yeu="Báo cáo an ninh")
    org.clock.advance(timedelta(days=3))
    second = start_document(org, "VB-2", user="khach", trich_yeu="Báo cáo kinh tế")
    assert set(found(org, "bithu", "bao cao")) == {first, second}
    assert set(found(org, "bithu", "bao cao", process_id="document")) == {first, second}
    assert found(org, "bithu", "bao cao", process_id="personal") == []
    assert found(org, "bithu", "bao cao", status="completed") == []
    assert set(found(org, "bithu", "bao cao", status="running")) >= {first, second}
    assert found(org, "bithu", "bao cao", unit="VP") == [first]  # vanthu's unit; khach is in BTC
    day = org.clock.now().astimezone().date()
    assert found(org, "bithu", "bao cao", started_from=str(day), process_id="document") == [second]
    assert found(org, "bithu", "bao cao", started_to=str(day - timedelta(days=2)), process_id="document") == [first]
    with pytest.raises(InvalidInput) as err:
        SearchFilters.load({"started_from": "2026-12-05", "started_to": "2026-12-01"})
    assert "started_to" in err.value.fields
    with pytest.raises(InvalidInput) as err:
        SearchFilters.load({"status": "lost"})
    assert "status" in err.value.fields
    with pytest.raises(InvalidInput) as err:
        org.search.search("bithu", "x", SearchFilters(unit="NOPE"))
    assert "unit" in err.value.fields


def test_nobody_finds_a_case_they_may_not_see(org: Services) -> None:
    case = start_document(org, "VB-1", user="vanthu", trich_yeu="Mật danh Sao Mai")
    seers = {u for u in EVERYONE if org.access.may_see_case(u, case)}
    assert seers and seers != set(EVERYONE)
    for user in EVERYONE:
        page = org.search.search(user, "sao mai")
        assert ([h.id for h in page.hits] == [case]) is (user in seers), user
        assert page.total == (1 if user in seers else 0)
    deactivate(org, "vanthu")
    assert found(org, "vanthu", "sao mai") == [] and found(org, "ghost", "sao mai") == []


@pytest.mark.parametrize("few", [1000, 0])  # words with few matches: checked one by one; with many: as a set
def test_the_set_rule_agrees_with_the_case_rule(org: Services, few: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search_module, "FEW_MATCHES", few)
    cases = [start_document(org, "VB-1", user="vanthu"), start_document(org, "VB-2", user="khach"),
             start_document(org, "VB-3", user="chuyenvien")]
    org.work.claim(task_of(org, cases[1]).id, "chuyenvien")
    org.runtime.complete_task(task_of(org, cases[2]).id, user="canbo", data={})
    for user in EVERYONE:
        expected = sorted(c for c in cases if org.access.may_see_case(user, c))
        assert sorted(found(org, user, "")) == expected, user
        assert sorted(found(org, user, "bao cao")) == expected, user  # every case says "Về việc báo cáo"


def test_a_case_whose_row_is_missing_gets_one_at_its_next_step(org: Services) -> None:
    case = start_document(org, "VB-1", user="vanthu", trich_yeu="Hồ sơ cũ")
    with org.db.transaction() as conn:
        conn.execute(delete(CaseSearchRow).where(CaseSearchRow.instance_id == case))
    assert found(org, "vanthu", "ho so cu") == []
    org.runtime.complete_task(task_of(org, case).id, user="chuyenvien", data={})
    assert found(org, "vanthu", "ho so cu") == [case]
    with org.db.connect() as conn:
        title = conn.execute(select(CaseSearchRow.title).where(CaseSearchRow.instance_id == case)).scalar()
    assert title == "Số 12/UBND: Hồ sơ cũ"


def test_bad_input_is_refused_with_the_field(org: Services) -> None:
    with pytest.raises(InvalidInput) as err:
        org.search.search("vanthu", "x" * 201)
    assert "q" in err.value.fields
    with pytest.raises(InvalidInput):
        org.search.search("vanthu", "x", page=0)
    assert org.search.search("vanthu", "\"'*:&|!()<->").total == 0


def test_search_follows_every_hand_over(org: Services) -> None:
    """Who finds a case changes with who holds its work: claim, un-claim, delegation, a manager's reassignment,
    completion. On PostgreSQL the index keeps who is involved in ``case_search.access`` through triggers
    (migration 0027); after each change the search agrees with the case rule for every user."""
    case = start_document(org, "VB-9", user="vanthu", trich_yeu="Kế hoạch phòng chống bão")

    def agrees(step: str) -> None:
        for user in EVERYONE:
            expected = [case] if org.access.may_see_case(user, case) else []
            assert found(org, user, "phong chong bao") == expected, (step, user)
            assert found(org, user, "", process_id="document") == expected, (step, user)

    agrees("started")
    task = task_of(org, case)
    org.work.claim(task.id, "chuyenvien")
    agrees("claimed")
    org.work.unclaim(task.id, "chuyenvien")
    agrees("un-claimed")
    org.work.claim(task.id, "canbo")
    org.work.delegate(task.id, "canbo", "khach")
    agrees("delegated")
    org.analytics.reassign("truongban", task.id, "canbo")  # khach's unit head
    agrees("reassigned")
    org.runtime.complete_task(task.id, user="canbo", data={})
    agrees("completed")
    assert found(org, "khach", "phong chong bao", status="completed") == (
        [case] if org.access.may_see_case("khach", case) else [])


def test_a_query_matching_very_many_cases_ranks_the_most_recent(org: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search_module, "RANKED", 3)
    cases = [start_document(org, f"VB-{n}", user="vanthu", trich_yeu=f"Báo cáo tuần {n}") for n in range(5)]
    page = org.search.search("bithu", "bao cao")
    assert page.more and page.total == 3
    assert sorted(h.id for h in page.hits) == sorted(cases[-3:])
    exact = org.search.search("bithu", "tuan 1")
    assert not exact.more and [h.id for h in exact.hits] == [cases[1]]
