"""``procflow migrate``: move running cases of a process to another version, by a checked plan (docs/modeling.md)."""

from __future__ import annotations

import sys

import click

from cli.common import cli_language, friendly_errors, services_of
from engine.errors import InvalidInput
from engine.i18n import N_, Message
from engine.migration.plan import MigrationPlan
from engine.migration.service import CaseResult, failure_message


def _mapping(pairs: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        old, sep, new = pair.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise InvalidInput(N_("--map takes OLD=NEW, not '{value}'"), {"map": [pair]}, value=pair)
        mapping[old.strip()] = new.strip()
    return mapping


def _cases(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        return [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError:
        raise InvalidInput(N_("--cases takes case ids separated by commas, not '{value}'"), {"cases": [text]},
                           value=text) from None


@click.command()
@click.argument("process_id")
@click.option("--from", "from_version", type=int, required=True, help="The version the cases run on.")
@click.option("--to", "to_version", type=int, required=True, help="The version to move them to.")
@click.option("--map", "pairs", multiple=True, metavar="OLD=NEW", help="An old element id and its new id (repeat).")
@click.option("--cases", default=None, help="Only these case ids (comma-separated); default: every live case.")
@click.option("--dry-run", is_flag=True, help="Show the plan and what each case would become; change nothing.")
@click.option("--user", default=None, help="Who runs the migration (recorded in each case's history).")
@click.pass_context
@friendly_errors
def migrate(ctx: click.Context, process_id: str, from_version: int, to_version: int, pairs: tuple[str, ...],
            cases: str | None, dry_run: bool, user: str | None) -> None:
    """Move the running cases of PROCESS_ID from one version to another; ids not mapped keep their id."""
    service = services_of(ctx).migrations
    plan = service.plan(process_id, from_version, to_version, mapping=_mapping(pairs), cases=_cases(cases))
    _print_plan(plan)
    if not plan.valid:
        locale = cli_language()
        for problem in plan.problems:
            click.echo(f"{problem.element_id}: {problem.message.render(locale)}", err=True)
        click.echo(f"error: the plan is refused ({len(plan.problems)} problem(s)); nothing was migrated", err=True)
        sys.exit(1)
    if dry_run:
        click.echo("dry run (nothing changed):")
        _print_results(service.dry_run(plan))
        return
    service.launcher = service.run_batch  # here, case by case, so that the results can be printed
    run = service.get(service.start(plan, user=user))
    click.echo(f"migration {run.id}: {run.status}, {run.migrated} migrated, {run.failed} failed")
    _print_results(run.cases)
    if run.failed:
        sys.exit(1)


def _print_plan(plan: MigrationPlan) -> None:
    click.echo(f"plan: {plan.process_id} version {plan.from_version} -> {plan.to_version}, "
               f"{len(plan.cases)} case(s)")
    for line in plan.lines:
        target = line.target or "(none)"
        mark = "  (mapped)" if line.explicit else ""
        cases = f"  {line.cases} case(s) here" if line.cases else ""
        click.echo(f"  {line.source} -> {target}  {line.kind}{mark}{cases}")


def _print_results(results: list[CaseResult]) -> None:
    locale = cli_language()
    for result in results:
        moves = ", ".join(f"{m['from']} -> {m['to']}" for m in result.moves)
        reason = failure_message(result)
        text = reason.render(locale) if isinstance(reason, Message) else reason
        click.echo(f"  case {result.instance_id}: {result.status}" + (f"  {moves}" if moves else "")
                   + (f": {text}" if result.status == "failed" else ""))
