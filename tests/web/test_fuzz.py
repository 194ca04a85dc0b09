"""Property-based: junk posted to every route of the app, as a signed-in user, never gives a server error, and a
refused request stores nothing (docs/security.md, "No 500 for any input")."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.routing import Rule

from engine.persistence.base import table_of
from engine.persistence.case_models import Attachment, Comment
from engine.persistence.models import HistoryEvent, Instance
from engine.services import Services
from tests.web.conftest import Auth, csrf_token, start_approval

# Routes that end the test's own session or answer 503 by design while no worker runs (they show no case data).
SKIPPED = {"static", "auth.logout", "monitoring.healthz"}
COUNTED = [table_of(Instance), table_of(HistoryEvent), table_of(Attachment), table_of(Comment)]

# What an attacker types: control characters and NULs, numbers past every column, deep or odd JSON, long text.
junk_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x1f), min_size=1, max_size=5),
    st.sampled_from(["99999999999999999999", "-1", "0", "1e999", "NaN", "Infinity", "9" * 400, "%00", "\x00",
                     "../../etc/passwd", "<script>alert(1)</script>", "=HYPERLINK(\"http://x\")", "' OR 1=1 --",
                     "[" * 200 + "]" * 200, json.dumps({"a": [[[[1]]]]}), "\r\nSet-Cookie: x=1", "a" * 5000]),
)
FIELDS = ["data", "text", "reason", "q", "page", "status", "id", "all", "to", "user", "username", "password",
          "comment", "approved", "_element", "task_name", "lang", "next", "year", "unit", "new", "old", "again"]


def _counts(services: Services) -> list[int]:
    with services.db.engine.connect() as conn:
        return [conn.execute(select(func.count()).select_from(table)).scalar_one() for table in COUNTED]


def _url(app: Flask, rule: Rule, draw: Any) -> str | None:
    values = {arg: draw(st.one_of(junk_text, st.integers(min_value=-2, max_value=2**70).map(str)))
              for arg in rule.arguments}
    with app.test_request_context():
        try:
            return app.url_for(rule.endpoint, **values)
        except Exception:  # a converter refuses the value: no such URL can be asked for
            return None


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=st.data())
def test_junk_on_every_route_is_never_a_server_error_and_stores_nothing(data: st.DataObject, app: Flask,
                                                                        client: FlaskClient, auth: Auth,
                                                                        web_services: Services) -> None:
    if not client.get("/inbox/").status_code == 200:  # once per test function: a case to aim at, signed in
        start_approval(web_services)
        auth.login("chanhvp")
    token = csrf_token(client, "/inbox/")
    rules = [r for r in app.url_map.iter_rules() if r.endpoint not in SKIPPED]
    asked = 0
    for rule in rules:
        url = _url(app, rule, data.draw)
        if url is None:
            continue
        asked += 1
        query = data.draw(st.dictionaries(st.sampled_from(FIELDS), junk_text, max_size=3))
        if "GET" in (rule.methods or ()):
            response = client.get(url, query_string=query)
            assert response.status_code < 500, ("GET", url, query, response.status_code)
        if "POST" in (rule.methods or ()):
            body = data.draw(st.dictionaries(st.sampled_from(FIELDS), junk_text, max_size=4))
            before = _counts(web_services)
            response = client.post(url, data={**body, "csrf_token": token}, query_string=query)
            assert response.status_code < 500, ("POST", url, body, response.status_code)
            if response.status_code >= 400:
                assert _counts(web_services) == before, ("a refused request stored something", url, body)
    assert asked > len(rules) // 2, "most routes were asked (their converters took the drawn values)"
    assert client.get("/inbox/").status_code == 200  # still signed in: the junk reached the views, not the login
