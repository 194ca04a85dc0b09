"""Moving running cases to another version of their process (Camunda-style migration plans).

Owns the plan (which old element becomes which new one, and whether that is safe), re-hydrating one case's
workflow on the new version, and the batches that run migrations case by case. Imports the runtime (to restore,
run and persist cases), deployment (versions) and persistence; the queue's jobs and the entry points import it.
"""
