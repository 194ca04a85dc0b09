"""``/healthz`` (JSON, 503 when unhealthy) and ``/metrics`` (Prometheus text), and the timing of every request by
its endpoint name (never the raw path, so case ids do not multiply the series)."""

from __future__ import annotations

import hmac
import time

from flask import Blueprint, Flask, Response, abort, g, jsonify, request
from flask.typing import ResponseReturnValue

from engine.ops.metrics import render
from engine.telemetry import HTTP_SECONDS
from web.extensions import csrf, services

bp = Blueprint("monitoring", __name__)
LOOPBACK = ("127.0.0.1", "::1")


@bp.get("/healthz")
@csrf.exempt
def healthz() -> ResponseReturnValue:
    """Database, Redis, a worker seen in the last minute, timers not lagging: 200 when all hold, else 503."""
    healthy, checks = services().operations.health()
    return jsonify({"status": "ok" if healthy else "unhealthy", "checks": checks}), 200 if healthy else 503


@bp.get("/metrics")
def metrics() -> ResponseReturnValue:
    """Prometheus metrics: with ``PROCFLOW_METRICS_TOKEN`` set, for a matching bearer token; else loopback only."""
    token = services().settings.metrics_token
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            abort(403)
    elif request.remote_addr not in LOOPBACK:
        abort(403)
    body, content_type = render(services().operations)
    return Response(body, content_type=content_type)


def init_app(app: Flask) -> None:
    """Time every request and record it under its endpoint name."""

    @app.before_request
    def _start_clock() -> None:
        g.procflow_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.get("procflow_started")
        if started is not None:
            HTTP_SECONDS.labels(request.endpoint or "unmatched", request.method,
                                str(response.status_code)).observe(time.perf_counter() - started)
        return response
