"""The case search page ("Tra cứu hồ sơ") and the inbox's search box: words without accents, visibility, filters."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from engine.cases import search as search_module
from engine.services import Services
from tests.web.conftest import Auth, start_approval


def hits(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'id="hit-(\d+)"', page)]


def test_a_word_typed_without_accents_finds_the_case_highlighted(client: FlaskClient, auth: Auth,
                                                                  web_services: Services) -> None:
    case, _ = start_approval(web_services, title="Công văn về Hội nghị tổng kết năm")
    start_approval(web_services, title="Báo cáo quý")
    auth.login("chanhvp")  # offered the approval (lanh_dao)
    response = client.get("/cases/search?q=hoi+nghi")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Tra cứu hồ sơ" in page
    assert hits(page) == [case]
    assert "<mark>Hội</mark> <mark>nghị</mark>" in page
    assert 'id="nav-search"' in page and 'aria-current="page"' in page.split('id="nav-search"')[1][:80]


def test_nobody_finds_a_case_they_may_not_see_and_an_empty_result_says_so(client: FlaskClient, auth: Auth,
                                                                          web_services: Services) -> None:
    start_approval(web_services, title="Kế hoạch bí mật Sao Mai")
    auth.login("vanthu")  # neither started it nor offered it
    page = client.get("/cases/search?q=sao+mai").get_data(as_text=True)
    assert hits(page) == [] and "Sao Mai" not in page and "Kế hoạch" not in page
    assert 'id="search-empty"' in page and "Không tìm thấy" in page
    assert "Rất tốt" not in page and "Well done" not in page


def test_filters_and_bad_filters(client: FlaskClient, auth: Auth, web_services: Services) -> None:
    case, _ = start_approval(web_services, title="Tờ trình kinh phí")
    auth.login("chuyenvien")
    assert hits(client.get("/cases/search?q=kinh+phi&process_id=approve&status=running").get_data(as_text=True)) \
        == [case]
    assert hits(client.get("/cases/search?q=kinh+phi&status=completed").get_data(as_text=True)) == []
    assert hits(client.get("/cases/search?status=running").get_data(as_text=True)) == [case]  # filters only
    bad = client.get("/cases/search?q=kinh+phi&status=lost&started_from=2026-13-01")
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert 'id="search-alert"' in page and "status" in page and "started_from" in page
    assert hits(page) == [case]  # the words are still searched
    unknown_unit = client.get("/cases/search?q=kinh+phi&unit=NOPE")
    assert unknown_unit.status_code == 422 and hits(unknown_unit.get_data(as_text=True)) == []
    first = client.get("/cases/search").get_data(as_text=True)  # nothing asked yet: no result, no "not found"
    assert 'id="search-results"' not in first and 'id="search-q"' in first


def test_the_page_in_english(client: FlaskClient, auth: Auth, web_services: Services) -> None:
    auth.login("chuyenvien")
    client.set_cookie("procflow_lang", "en")
    page = client.get("/cases/search?q=zzz").get_data(as_text=True)
    assert "Case search" in page and "No case found" in page


def test_the_inbox_search_box_uses_the_full_text_search(client: FlaskClient, auth: Auth,
                                                        web_services: Services) -> None:
    case, task = start_approval(web_services, title="Đề án chuyển đổi số")
    auth.login("chanhvp")
    page = client.get("/inbox/?search=chuyen+doi").get_data(as_text=True)
    assert f'id="task-{task}"' in page
    empty = client.get("/inbox/?search=khong+co+tu+nay").get_data(as_text=True)
    assert f'id="task-{task}"' not in empty and "Không có công việc nào khớp" in empty
    assert 'id="inbox-search-cases"' in empty and "Rất tốt" not in empty
    assert case


def test_a_search_matching_more_than_can_be_ranked_says_so(client: FlaskClient, auth: Auth, web_services: Services,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search_module, "RANKED", 2)
    cases = [start_approval(web_services, title=f"Báo cáo tháng {n}")[0] for n in range(3)]
    auth.login("chanhvp")
    page = client.get("/cases/search?q=bao+cao").get_data(as_text=True)
    assert sorted(hits(page)) == sorted(cases[1:])
    assert "Hơn 2 hồ sơ" in page
    answer = client.get("/cases/search?q=thang+0").get_data(as_text=True)
    assert hits(answer) == [cases[0]] and "Hơn" not in answer
