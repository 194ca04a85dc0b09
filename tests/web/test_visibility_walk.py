"""Nobody learns anything of a case they may not see, whatever route they call: every route of the app is walked
with the ids of a hidden case, by GET and by POST with plausible bodies, and no answer shows that case's data,
business key or assignee (nor fails with a 5xx)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from engine.services import Services
from tests.conftest import FIXTURES
from tests.web.conftest import PASSWORD, Auth, csrf_token
from web.manage.tables import TABLES

MARKER = "BIMAT-7f3a9c-MARKER"
KEY = "HS-SECRET-0042"
HOLDER, HOLDER_NAME = "nguoigiu", "Đặng Giữ Kín"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SKIPPED = {"static", "vendor.library_file", "auth.logout", "auth.login"}


@dataclass(frozen=True)
class Hidden:
    """Two cases the outsiders may not see: one with a task its holder has taken, one whose task they did."""

    open_case: int
    open_task: str
    done_case: int
    done_task: str
    attachment: int


@pytest.fixture
def hidden(web_services: Services) -> Hidden:
    org = yaml.safe_load((FIXTURES / "org.yaml").read_text(encoding="utf-8"))
    org["units"].append({"code": "BTC", "name": "Ban Tổ chức", "parent": "TU", "head": "ngoai"})
    org["users"] += [{"username": HOLDER, "full_name": HOLDER_NAME, "unit": "TU", "groups": ["lanh_dao"]},
                     {"username": "ngoai", "full_name": "Người Ngoài", "unit": "BTC", "groups": ["chuyen_vien"]}]
    web_services.org.import_structure(org)
    web_services.accounts.set_password("ngoai", PASSWORD)
    data = {"title": MARKER}
    open_case = web_services.runtime.start("approve", data=data, business_key=KEY, user="chuyenvien")
    open_task = web_services.queries.tasks(instance_id=open_case)[0].id
    web_services.work.claim(open_task, HOLDER)
    web_services.comments.add(open_case, "chuyenvien", f"ghi chú {MARKER}")
    attachment = web_services.attachments.add(open_case, "chuyenvien", f"{MARKER}.pdf", io.BytesIO(PDF)).id
    done_case = web_services.runtime.start("approve", data=data, business_key=KEY + "-2", user="chuyenvien")
    done_task = web_services.queries.tasks(instance_id=done_case)[0].id
    web_services.runtime.complete_task(done_task, user=HOLDER, data={"approved": False, "comment": MARKER})
    return Hidden(open_case, open_task, done_case, done_task, attachment)


FORMATS = ("csv", "xlsx", "pdf", "yaml")


def _build(app: Flask, rule: Rule, known: dict[str, object]) -> str:
    """The rule's URL with the known values (other ids: 1), trying each download format a rule may take."""
    for fmt in FORMATS:
        try:
            return app.url_for(rule.endpoint, **{k: known.get(k, 1) for k in rule.arguments if k != "fmt"}, **(
                {"fmt": fmt} if "fmt" in rule.arguments else {}))
        except ValueError:
            continue
    raise AssertionError(f"no URL could be built for {rule}")


def _urls(app: Flask, rule: Rule, case: Hidden) -> Iterator[str]:
    """The rule's URLs filled with the hidden cases' ids (and every table and format of the downloads)."""
    choices = [
        {"instance_id": case.open_case, "task_id": case.open_task, "attachment_id": case.attachment},
        {"instance_id": case.done_case, "task_id": case.done_task, "attachment_id": case.attachment},
        {"instance_id": case.open_case, "task_id": case.done_task, "attachment_id": case.attachment},
    ]
    extra = {"process_id": "approve", "year": 2026, "username": HOLDER, "job_id": "x", "action": "retry",
             "token": "x", "change": "rename", "code": "VP", "which": "slip", "kind": "incoming"}
    with app.test_request_context():
        if rule.endpoint == "manage.export":
            for name in TABLES:
                for fmt in ("csv", "xlsx"):
                    yield app.url_for(rule.endpoint, name=name, fmt=fmt)
            return
        seen = set()
        for values in choices:
            url = _build(app, rule, {**values, **extra})
            if url not in seen:
                seen.add(url)
                yield url


def _text(response: TestResponse) -> str:
    """What the answer shows, an XLSX workbook's sheets included."""
    body = response.get_data()
    if body.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(body)) as book:
            return "".join(book.read(name).decode("utf-8", "replace") for name in book.namelist())
    return body.decode("utf-8", "replace") + "".join(f"{k}: {v}\n" for k, v in response.headers.items())


def _shape(response: TestResponse) -> str:
    """A page with its numbers and CSRF token blanked, to compare two answers."""
    return re.sub(r"\d+", "N", re.sub(r'name="csrf-token" content="[^"]*"', "", response.get_data(as_text=True)))


def _bodies(case: Hidden) -> list[dict[str, str]]:
    return [{"_element": "review", "_task_name": "x", "comment": "x", "approved": "y", "text": "hello",
             "to_user": "vanthu", "reason": "why", "classification": "good", "data": "{}", "q": "a"},
            {"_element": "start"}, {}]


@pytest.mark.parametrize("outsider", ["vanthu", "ngoai"])
def test_no_route_shows_a_hidden_case(app: Flask, client: FlaskClient, auth: Auth, web_services: Services,
                                      hidden: Hidden, outsider: str) -> None:
    for case in (hidden.open_case, hidden.done_case):
        assert not web_services.access.may_see_case(outsider, case)
    assert auth.login(outsider).status_code == 302
    token = csrf_token(client, "/inbox/")
    leaks = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIPPED:
            continue
        for url in _urls(app, rule, hidden):
            calls = []
            if "GET" in (rule.methods or ()):
                calls.append(("GET", client.get(url, headers={"HX-Request": "true"})))
                calls.append(("GET", client.get(url, follow_redirects=True)))
            if "POST" in (rule.methods or ()):
                for body in _bodies(hidden):
                    for htmx in ({}, {"HX-Request": "true"}):
                        calls.append(("POST", client.post(url, data={**body, "csrf_token": token}, headers=htmx,
                                                          follow_redirects=True)))
            for method, response in calls:
                text = _text(response)
                # /healthz answers 503 by design while no worker runs (as in this test); it shows no case data
                assert response.status_code < 500 or url == "/healthz", (method, url, response.status_code)
                found = [s for s in (MARKER, KEY, HOLDER_NAME, HOLDER) if s in text and s not in url]
                if found:
                    leaks.append((method, url, response.status_code, found))
    assert not leaks, leaks


def test_a_hidden_case_and_a_missing_case_get_the_same_answer(client: FlaskClient, auth: Auth,
                                                              hidden: Hidden) -> None:
    auth.login("vanthu")
    token = csrf_token(client, "/inbox/")
    missing = 424242
    for path in ("/cases/{}", "/cases/{}/diagram", f"/tasks/{{}}/{hidden.open_task}"):
        seen, absent = client.get(path.format(hidden.open_case)), client.get(path.format(missing))
        assert seen.status_code == absent.status_code == 404, path
        assert _shape(seen) == _shape(absent), path
    for action in ("claim", "unclaim"):
        response = client.post(f"/tasks/{hidden.open_case}/{hidden.open_task}/{action}",
                               data={"csrf_token": token}, headers={"HX-Request": "true"})
        assert response.status_code == 404, action
        assert HOLDER not in response.get_data(as_text=True)
