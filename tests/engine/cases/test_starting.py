"""Starting a case with its start form's files (engine/cases/starting.py)."""

from __future__ import annotations

import io

import pytest

from engine.cases.attachments import Upload
from engine.deployment.service import collect_sources
from engine.errors import InvalidInput
from engine.services import Services
from tests.conftest import ROOT


def test_a_refused_file_comes_with_the_forms_other_messages(services: Services) -> None:
    """A wrong file type and an arrival before the issue date are both told at once, so one correction is enough."""
    services.org.import_file(ROOT / "engine" / "data" / "demo_org.yaml")
    services.deployment.deploy(collect_sources([ROOT / "processes" / "incoming_document.bpmn", ROOT / "forms"]))
    data = {"so_ky_hieu": "125/UBND-VP", "ngay_ban_hanh": "2026-04-28", "ngay_den": "2026-04-27",
            "co_quan_ban_hanh": "Ủy ban nhân dân tỉnh", "loai_van_ban": "cong_van",
            "trich_yeu": "Về việc báo cáo kết quả chuyển đổi số quý I năm 2026", "hinh_thuc_nhan": "dien_tu",
            "do_khan": "khan", "do_mat": "thuong", "so_trang": 3, "da_kiem_tra_xac_thuc": True}
    with pytest.raises(InvalidInput) as refused:
        services.starter.start("incoming_document", user="vanthu", data=data,
                               files={"tep_van_ban": [Upload("ghi-chu.txt", io.BytesIO(b"not a document"))]})
    assert refused.value.fields["ngay_den"] == ["Ngày không được trước Ngày ban hành."]
    (message,) = refused.value.fields["tep_van_ban"]  # the file's own message, not "required"
    assert message.startswith("ghi-chu.txt: không nhận loại tệp này")
