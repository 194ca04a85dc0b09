"""The case page tells the story: the case's title and key as people write them, its data labelled as its forms
label it, files as links, and a history that names decisions, people and groups."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from engine.deployment.service import collect_sources
from engine.inbox.desk import Submission, Upload
from engine.services import Services
from tests.web.conftest import Auth

HERE = Path(__file__).resolve().parent / "fixtures"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
KEY = "12/UBND-VP|Ủy ban nhân dân tỉnh|2026"


@pytest.fixture
def dossier(web_services: Services) -> tuple[int, str]:
    """A dossier case whose specialist attached the file; its review is open (offered to the leaders)."""
    web_services.deployment.deploy(collect_sources([HERE]))
    case = web_services.runtime.start("dossier", user="chuyenvien", data={
        "trich_yeu": "Báo cáo tình hình tháng 12", "so_ky_hieu": "12/UBND-VP", "co_quan": "Ủy ban nhân dân tỉnh"})
    prepare = web_services.queries.tasks(instance_id=case)[0]
    done = web_services.desk.complete("chuyenvien", case, prepare.id, Submission(
        {"ghi_chu": ["Đã đủ số liệu"]}, {"tep_ho_so": [Upload("bao-cao.pdf", io.BytesIO(PDF))]}, "prepare"))
    assert done.error is None, done.error
    review = web_services.queries.tasks(instance_id=case)[0]
    return case, review.id


def test_the_title_and_the_key_as_written_name_the_case_everywhere(client: FlaskClient, auth: Auth,
                                                                   web_services: Services,
                                                                   dossier: tuple[int, str]) -> None:
    case, _ = dossier
    auth.login("chanhvp")
    inbox = client.get("/inbox/").get_data(as_text=True)
    assert "Báo cáo tình hình tháng 12" in inbox and f"Hồ sơ #{case}" not in inbox
    assert "12/UBND-VP — Ủy ban nhân dân tỉnh — 2026" in inbox and KEY not in inbox
    page = client.get(f"/cases/{case}").get_data(as_text=True)
    assert '<h1 id="case-title">Báo cáo tình hình tháng 12' in page
    assert '<dd id="case-key">12/UBND-VP — Ủy ban nhân dân tỉnh — 2026</dd>' in page and KEY not in page
    auth.logout()
    auth.login("chuyenvien")
    mine = client.get("/cases/").get_data(as_text=True)
    assert "Báo cáo tình hình tháng 12" in mine and "12/UBND-VP — Ủy ban nhân dân tỉnh — 2026" in mine


def test_a_file_is_a_download_link_on_the_task_and_case_pages_for_those_who_may_see_it(
        client: FlaskClient, auth: Auth, dossier: tuple[int, str]) -> None:
    case, review = dossier
    auth.login("chanhvp")
    task_page = client.get(f"/tasks/{case}/{review}").get_data(as_text=True)
    assert 'class="file-link" download>bao-cao.pdf</a>' in task_page
    assert 'type="checkbox"' not in task_page.split('id="field-tep_ho_so', 1)[-1].split("</ul>", 1)[0]
    case_page = client.get(f"/cases/{case}").get_data(as_text=True)
    link = case_page.split('class="file-link" download>bao-cao.pdf', 1)[0].rsplit('href="', 1)[1].split('"', 1)[0]
    assert link.startswith(f"/cases/{case}/attachments/")
    got = client.get(link)
    assert got.status_code == 200 and got.data == PDF
    auth.logout()
    auth.login("vanthu")  # neither starter, holder nor candidate: the link answers as a missing file
    assert client.get(link).status_code == 404


def test_the_case_page_shows_the_data_as_the_forms_label_it_and_names_each_decision(
        client: FlaskClient, auth: Auth, web_services: Services, dossier: tuple[int, str]) -> None:
    case, review = dossier
    web_services.runtime.complete_task(review, user="chanhvp",
                                       data={"ket_luan": "tra_lai", "ly_do": "Thiếu số liệu quý IV"})
    web_services.comments.add(case, "chanhvp", "Bổ sung trước thứ Sáu")
    auth.login("chuyenvien")
    page = client.get(f"/cases/{case}").get_data(as_text=True)
    story = page.split('id="case-story"', 1)[1].split("</section>", 1)[0]
    assert "<dt>Trích yếu</dt>" in story and "Báo cáo tình hình tháng 12" in story
    assert "<dt>Kết luận</dt>" in story and "Trả lại để sửa" in story and "tra_lai" not in story
    assert "<dt>Lý do</dt>" in story and "Thiếu số liệu quý IV" in story
    assert "<dt>Ghi chú của chuyên viên</dt>" in story and "bao-cao.pdf</a>" in story
    history = page.split('id="case-history"', 1)[1]
    decision = history.split("Xem xét hồ sơ", 1)[1].split("</li>\n    </ul>", 1)[0]
    assert '<span class="decision__label">Kết luận:</span> <span class="fact__text">Trả lại để sửa</span>' in decision
    reason = '<span class="decision__label">Lý do:</span> <span class="fact__text">Thiếu số liệu quý IV</span>'
    assert reason in decision
    assert "Trần Thị Chánh (Văn phòng Tỉnh ủy)" in history and "· chanhvp" not in history
    assert "→ Lãnh đạo" in history and "lanh_dao" not in history  # a group by its name
    assert "Bổ sung trước thứ Sáu" in history and "bao-cao.pdf</a>" in history  # the comment and the file
