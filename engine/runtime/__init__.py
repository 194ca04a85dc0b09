"""Running cases: start, complete, suspend, resume, retry (core), saving a step with its inbox rows,
timer rows and history in one transaction (step_writer, inbox_rows, scheduling), messages and signals
between cases (routing, delivery), start events and start rules, and the cache of deployed specs.

May import: deployment, bpmn, forms, calendar, org, registers, persistence, the kernel.
"""
