"""Timers firing: the worker-side service that fires a due timer exactly once (firing), timer start
events that start new cases (starts) and overdue escalation (escalation).

The rows a step schedules are computed by engine.runtime.scheduling. May import: runtime, notify, org,
calendar, persistence, the kernel.
"""
