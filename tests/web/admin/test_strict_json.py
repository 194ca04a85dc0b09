"""The administrators' retry data is read as strict JSON: tricks are a 422 on the field, and nothing changes."""

from __future__ import annotations

import html

import pytest
from flask.testing import FlaskClient

from engine.services import Services
from tests.web.admin.test_views import ADMIN, act, admin_services, failed_case  # noqa: F401 (fixture)
from tests.web.conftest import Auth


@pytest.mark.parametrize(("typed", "why"), [
    ('{"divisor": NaN}', "NaN is not a JSON number (line 1, column 13)"),
    ('{"divisor": 1e999}', "a number too large to store (line 1, column 13)"),
    ('{"divisor": ' + "7" * 5000 + "}", "an integer of more than 30 digits (line 1, column 13)"),
    ('{"d": ' + "[" * 100 + "]" * 100 + "}", "nested deeper than 64 levels (line 1, column 70)"),
])
def test_retry_data_tricks_are_refused_on_the_field(client: FlaskClient, auth: Auth,
                                                    admin_services: Services, typed: str, why: str) -> None:  # noqa: F811
    instance_id = failed_case(admin_services)
    auth.login(ADMIN)
    response = act(auth, instance_id, "retry", {"data": typed})
    assert response.status_code == 422
    assert why.split(" (")[0] in html.unescape(response.get_data(as_text=True))
    view = admin_services.queries.instance(instance_id)
    assert view.status == "error" and view.data["divisor"] == 0
