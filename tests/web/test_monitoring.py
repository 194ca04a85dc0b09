"""``/healthz`` (no sign-in, no case data, 503 when unhealthy) and ``/metrics`` (token or loopback only)."""

from __future__ import annotations

from dataclasses import replace

from flask.testing import FlaskClient

from engine.services import Services
from tests.web.conftest import start_approval


def test_healthz_says_what_is_wrong_without_case_data(client: FlaskClient, web_services: Services) -> None:
    start_approval(web_services)
    response = client.get("/healthz")
    body = response.get_json()
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["timers"]["ok"] is True
    if web_services.operations.redis is None:  # no Redis in this app: unhealthy, and it says so
        assert response.status_code == 503 and body["checks"]["redis"]["ok"] is False
    assert "Công văn" not in response.get_data(as_text=True)


def test_metrics_for_loopback_or_the_token(client: FlaskClient, web_services: Services) -> None:
    start_approval(web_services)
    client.get("/login")
    text = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_data(as_text=True)
    assert "procflow_tasks_opened_total 1.0" in text and "procflow_cases_started_total 1.0" in text
    assert 'procflow_http_request_seconds_count{endpoint="auth.login",method="GET",status="200"}' in text
    assert "procflow_step_seconds_count" in text and "procflow_timers_pending" in text
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 403
    web_services.settings = replace(web_services.settings, metrics_token="s3cret")
    remote = {"REMOTE_ADDR": "10.1.2.3"}
    assert client.get("/metrics", environ_base=remote).status_code == 403
    assert client.get("/metrics", environ_base=remote, headers={"Authorization": "Bearer s3cret"}).status_code == 200
