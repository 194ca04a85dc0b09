"""A user's preferred language comes with the organisation file (YAML or CSV): Vietnamese unless it says English."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from engine.errors import InvalidInput
from engine.persistence.models import User
from engine.services import Services

ORG = {"units": [{"code": "VP", "name": "Văn phòng"}], "groups": [],
       "users": [{"username": "vien", "full_name": "Hoàng Văn Viên", "unit": "VP"},
                 {"username": "anna", "full_name": "Anna Expert", "unit": "VP", "language": "en"}]}


def languages(services: Services) -> dict[str, str]:
    with services.db.read() as session:
        return {u.username: u.language for u in session.scalars(select(User))}


def test_the_language_is_imported_and_kept_when_a_later_file_leaves_it_out(services: Services) -> None:
    services.org.import_structure(ORG)
    assert languages(services) == {"vien": "vi", "anna": "en"}
    assert services.accounts.account("anna").language == "en"
    again = {**ORG, "users": [{k: v for k, v in u.items() if k != "language"} for u in ORG["users"]]}
    services.org.import_structure(again)
    assert languages(services) == {"vien": "vi", "anna": "en"}


def test_an_unknown_language_is_refused_with_its_field(services: Services) -> None:
    with pytest.raises(InvalidInput) as refused:
        services.org.import_structure({**ORG, "users": [{**ORG["users"][0], "language": "fr"}]})
    assert list(refused.value.fields) == ["users.0.language"]
    assert refused.value.render("vi") == "Tệp cơ cấu tổ chức không hợp lệ"


def test_a_csv_file_has_a_language_column(services: Services, tmp_path: Path) -> None:
    org_csv = tmp_path / "org.csv"
    org_csv.write_text("username,full_name,unit,language\nvien,Hoàng Văn Viên,VP,\nanna,Anna Expert,VP,en\n",
                       encoding="utf-8")
    services.org.import_file(org_csv)
    assert languages(services) == {"vien": "vi", "anna": "en"}
