"""The ``procflow`` console script: the core commands and every command family, in one group."""

from __future__ import annotations

from cli.calendar import calendar
from cli.commands import main
from cli.documents import documents
from cli.lint import lint
from cli.org import user
from cli.scenarios import scenario_test
from cli.serve import run, serve_command
from cli.timers import timers
from cli.tokens import tokens

for command in (calendar, scenario_test, lint, user, timers, serve_command, run, documents, tokens):
    main.add_command(command)

__all__ = ["main"]
