"""The ``procflow`` console script: the core commands and every command family, in one group."""

from __future__ import annotations

from cli.archive import archive
from cli.audit import audit
from cli.backup import backup_command, restore_command
from cli.calendar import calendar
from cli.commands import main, org
from cli.documents import documents
from cli.exchange import agencies, exchange
from cli.files import files
from cli.lint import lint
from cli.migrate import migrate
from cli.org import org_export, user
from cli.scenarios import scenario_test
from cli.search import search
from cli.serve import run, serve_command
from cli.timers import timers
from cli.tokens import tokens

for command in (audit, calendar, scenario_test, lint, user, timers, serve_command, run, documents, backup_command,
                restore_command, tokens, search, migrate, agencies, exchange, files, archive):
    main.add_command(command)

org.add_command(org_export)

__all__ = ["main"]
