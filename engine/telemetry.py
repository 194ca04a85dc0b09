"""The process's Prometheus instruments, observed where the work happens (a kernel module: imports nothing of
procflow). Under gunicorn with several processes, set ``PROMETHEUS_MULTIPROC_DIR`` before start so that every
process writes its samples there and ``/metrics`` adds them up (docs/operations.md)."""

from __future__ import annotations

from prometheus_client import Histogram

# A step: one engine transaction (start, complete a task, fire a timer, deliver a message...).
STEP_SECONDS = Histogram("procflow_step_seconds", "Time of one engine step (transaction), in seconds",
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
# How late a timer fired after its due moment (worker reconciliation, queue delays).
TIMER_LAG_SECONDS = Histogram("procflow_timer_fire_lag_seconds", "Delay between a timer's due moment and its firing",
                              buckets=(0.5, 1, 5, 15, 30, 60, 300, 900, 3600))
HTTP_SECONDS = Histogram("procflow_http_request_seconds", "Web requests by endpoint (route name), in seconds",
                         ["endpoint", "method", "status"],
                         buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
