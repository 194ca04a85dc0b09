"""A database that cannot serve a request for a moment is a 503 with Retry-After, and nothing changes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from argon2 import PasswordHasher

from engine.services import Services, build_services
from tests.web.conftest import Auth, csrf_token, start_approval
from web import create_app


def test_an_exhausted_pool_is_503_with_retry_after_and_the_task_stays_open(web_services: Services, translations: Path,
                                                                           clock) -> None:
    single = build_services(dataclasses.replace(web_services.settings, db_pool_size=1, db_max_overflow=0,
                                                db_pool_timeout=0.5), clock=clock)
    single.accounts.hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    app = create_app({"TESTING": True, "PROCFLOW_SERVICES": single, "SECRET_KEY": "test-secret",
                      "BABEL_TRANSLATION_DIRECTORIES": str(translations)})
    try:
        client = app.test_client()
        auth = Auth(client)
        instance_id, task_id = start_approval(web_services)
        auth.login("chanhvp")
        url = f"/tasks/{instance_id}/{task_id}"
        form = {"comment": "Đồng ý", "approved": "true", "pages": "3", "_element": "review",
                "csrf_token": csrf_token(client, url)}  # the page was loaded while the pool was free
        with single.db.connect() as held:  # someone else holds the only connection
            held.exec_driver_sql("SELECT 1")
            for response in (client.get(url), client.post(url, data=form)):
                assert response.status_code == 503
                assert int(response.headers["Retry-After"]) > 0
                assert "Hệ thống đang bận trong giây lát" in response.get_data(as_text=True)
        assert web_services.queries.instance(instance_id).status == "running"
        assert client.post(url, data=form).status_code == 302  # the same request, sent again, goes through
        assert web_services.queries.instance(instance_id).status == "completed"
    finally:
        single.close()
