"""The ``procflow`` console script: the core commands and every command family, in one group."""

from __future__ import annotations

from cli.audit import audit
from cli.calendar import calendar
from cli.commands import main
from cli.lint import lint
from cli.org import user
from cli.scenarios import scenario_test
from cli.serve import run, serve_command
from cli.timers import timers

for command in (audit, calendar, scenario_test, lint, user, timers, serve_command, run):
    main.add_command(command)

__all__ = ["main"]
