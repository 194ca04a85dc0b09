"""Every API error is application/problem+json; the OpenAPI document and the offline docs page are served."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.web.api.conftest import Tokens

PROBLEM = "application/problem+json"


def test_routing_method_and_body_errors_are_problems(client: FlaskClient, tokens: Tokens) -> None:
    mine = tokens.header("chuyenvien", "all")
    for response, status in ((client.get("/api/v1/nothing", headers=mine), 404),
                             (client.delete("/api/v1/cases/", headers=mine), 405),
                             (client.post("/api/v1/processes/approve/cases", data="{", headers=mine,
                                          content_type="application/json"), 400),
                             (client.post("/api/v1/processes/approve/cases", json={"data": {}, "extra": 1},
                                          headers=mine), 422)):
        assert response.status_code == status and response.mimetype == PROBLEM, response.get_data(as_text=True)
        body = response.json
        assert body["status"] == status and body["type"] == "about:blank" and body["title"] and "detail" in body
    assert client.post("/api/v1/processes/approve/cases", json={"data": {}, "extra": 1},
                       headers=mine).json["errors"] == {"extra": ["Unknown field."]}
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page.mimetype == "text/html"  # the pages keep their own error pages


def test_openapi_document_and_offline_docs_page(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.") and "/api/v1/cases/{instance_id}" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    page = client.get("/api/v1/docs")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "/api/v1/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "<script>" not in html and "script-src 'self'" in page.headers["Content-Security-Policy"]
    for name in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert client.get(f"/api/v1/vendor/swagger-ui/{name}").status_code == 200
    assert client.get("/api/v1/vendor/swagger-ui/package.json").status_code == 404
    assert client.get("/api/v1/static/docs.js").status_code == 200


def test_paths_that_climb_out_of_swagger_ui_are_404(client: FlaskClient) -> None:
    for path in ("/api/v1/vendor/swagger-ui/..%2Fbpmn-js%2Fpackage.json", "/api/v1/vendor/swagger-ui/../../x",
                 "/api/v1/vendor/swagger-ui/index.html"):
        assert client.get(path).status_code == 404, path
