"""Operating procflow: consistent backups and their restore, the health check, Prometheus metrics, and what the
administrators' operations page shows (queues, workers, failed jobs, timers, undelivered messages).

May import: queue, persistence and the kernel (and prometheus_client, rq, redis). Nothing here runs a case.
"""
