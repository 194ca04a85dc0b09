"""Deploying models: validating BPMN/DMN/forms, versions by content hash, stored specs and forms.

May import: bpmn, forms, persistence, the kernel. Scheduling a timer start event at deploy is done
through a collaborator given by the composition root (engine.timers.starts), not imported.
"""
