"""Property-based: junk sent to every designers' route, as a designer, never gives a server error."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.services import Services
from tests.web.conftest import PASSWORD, Auth, csrf_token

FIELDS = ["files", "title", "process_id", "name", "xml", "draft", "old", "new", "file"]
junk = st.one_of(st.text(max_size=40), st.sampled_from(["", "approve", "../../etc/passwd", "0123456789abcdef",
                                                        "-1", "9" * 40, "9" * 400, "<a>", '{"components": 1}',
                                                        "\x00", "a\x00b", "x" * 300]))


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=st.data())
def test_junk_on_the_design_routes_is_never_a_server_error(data: st.DataObject, app: Flask, client: FlaskClient,
                                                           auth: Auth, web_services: Services) -> None:
    if client.get("/design/").status_code != 200:
        web_services.org.import_structure({"groups": [{"code": "thiet_ke", "name": "Thiết kế"}],
                                           "users": [{"username": "thietke", "full_name": "Thiết Kế",
                                                      "groups": ["thiet_ke"]}]})
        web_services.accounts.set_password("thietke", PASSWORD)
        auth.login("thietke")
    token = csrf_token(client, "/design/")
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("design.")]
    assert len(rules) >= 12
    for rule in rules:
        values: dict[str, Any] = {arg: data.draw(junk) for arg in rule.arguments}
        if "version" in values:
            values["version"] = data.draw(st.integers(min_value=0, max_value=2**40))
        if "draft_id" in values:
            values["draft_id"] = data.draw(st.one_of(junk, st.just("0" * 16)))
        with app.test_request_context():
            try:
                url = app.url_for(rule.endpoint, **values)
            except Exception:
                continue
        query = data.draw(st.dictionaries(st.sampled_from(FIELDS), junk, max_size=3))
        if "GET" in (rule.methods or ()):
            response = client.get(url, query_string=query)
            assert response.status_code < 500, ("GET", url, query, response.status_code)
        if "POST" in (rule.methods or ()):
            body = data.draw(st.dictionaries(st.sampled_from(FIELDS), junk, max_size=4))
            response = client.post(url, data={**body, "csrf_token": token}, query_string=query)
            assert response.status_code < 500, ("POST", url, body, response.status_code)
            response = client.post(url, data=json.dumps(body), content_type="application/json",
                                   headers={"X-CSRFToken": token}, query_string=query)
            assert response.status_code < 500, ("POST json", url, body, response.status_code)
