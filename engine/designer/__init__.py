"""Designers' tools: the model linter (lint/) and scenario tests on virtual time (scenarios/).

May import anything in the engine, including the composition root (scenarios build an engine on
virtual time). Add a new lint rule in lint/ (one module per family, registered in lint/runner.py).
"""
