"""The migration page: only designers (thiet_ke) and administrators; the plan, its refusals, a dry run, a run."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from engine.deployment.service import collect_sources
from engine.services import Services
from tests.conftest import FIXTURES
from tests.web.conftest import PASSWORD, Auth

DESIGNER = "thietke"
PLAN = "/migration/ho_so/1/2"


@pytest.fixture
def designer(web_services: Services) -> Services:
    """A designer, and the dossier procedure with cases on version 1 and a renamed version 2."""
    web_services.org.import_structure({
        "groups": [{"code": "thiet_ke", "name": "Thiết kế quy trình"}],
        "users": [{"username": DESIGNER, "full_name": "Lê Thiết Kế", "groups": ["thiet_ke"]}],
    })
    web_services.accounts.set_password(DESIGNER, PASSWORD)
    web_services.deployment.deploy(collect_sources([FIXTURES / "migration" / "v1.bpmn"]))
    for path in ("review", "sub"):
        web_services.runtime.start("ho_so", data={"path": path})
    web_services.deployment.deploy(collect_sources([FIXTURES / "migration" / "v3_renamed.bpmn"]))
    return web_services


def test_only_designers_and_administrators_get_in(designer: Services, client: FlaskClient, auth: Auth) -> None:
    assert client.get(PLAN).status_code == 302  # sign in first
    auth.login("chuyenvien")
    assert client.get(PLAN).status_code == 403
    auth.logout()
    auth.login(DESIGNER)
    assert client.get(PLAN).status_code == 200  # the refused plan, shown
    assert client.get("/migration/ho_so/1/9").status_code == 404


def test_the_page_shows_the_refused_plan_a_dry_run_and_runs_it(designer: Services, client: FlaskClient,
                                                               auth: Auth) -> None:
    auth.login(DESIGNER)
    page = client.get(PLAN).get_data(as_text=True)  # in Vietnamese, the default
    assert 'id="migration-problems"' in page and "không có tương ứng trong phiên bản 2" in page
    assert 'id="migration-run"' not in page

    mapping = "review=examine\ncheck=verify"
    page = client.get(PLAN, query_string={"mapping": mapping, "dry_run": "1"}).get_data(as_text=True)
    assert 'id="migration-valid"' in page
    assert "review → examine" in page and "check → verify" in page  # the dry run, case by case
    assert designer.queries.instance(1).version == 1

    bad = client.get(PLAN, query_string={"mapping": "review"})
    assert bad.status_code == 422 and 'class="field__error"' in bad.get_data(as_text=True)

    done = auth.post(PLAN, {"mapping": mapping}, page=PLAN + "?mapping=review%3Dexamine")
    assert done.status_code == 302 and "/migration/runs/" in done.headers["Location"]
    result = client.get(done.headers["Location"]).get_data(as_text=True)
    assert 'data-status="done"' in result
    assert result.count('data-status="migrated"') == 2
    assert [t.element_id for t in designer.queries.tasks(instance_id=1)] == ["examine"]
