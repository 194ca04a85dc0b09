"""The model linter: `procflow lint` errors and W1xx warnings, one module per rule family.

runner.py collects the families; add a new rule to the family it belongs to (data, deadlines, events,
flow, forms) or a new module registered in runner.py.
"""
