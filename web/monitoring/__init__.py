"""``/healthz`` and ``/metrics`` for the machines that watch procflow (no sign-in, no case data)."""

from web.monitoring.views import bp, init_app

__all__ = ["bp", "init_app"]
