"""``procflow timers``: the pending timers, earliest first, including the cases timer start events will start."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import click

from cli.common import echo_json, friendly_errors, services_of
from engine.persistence.models import TimerKind
from engine.timers.firing import PendingTimer


@click.command()
@click.option("--process", "process_id", default=None, help="Only the timers of this process.")
@click.option("--kind", type=click.Choice([k.value for k in TimerKind]), default=None)
@click.option("--limit", type=int, default=100, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
@friendly_errors
def timers(ctx: click.Context, process_id: str | None, kind: str | None, limit: int, fmt: str) -> None:
    """List pending timers, earliest first (a process_start row starts a new case of a process version)."""
    services = services_of(ctx)
    found = services.timers.pending(process_id=process_id, kind=kind, limit=limit)
    if fmt == "json":
        echo_json([t.as_dict() for t in found])
        return
    if not found:
        click.echo("no pending timers")
    zone = ZoneInfo(services.settings.timezone)
    for t in found:
        due = t.due_at.astimezone(zone).isoformat(timespec="minutes")
        click.echo(f"{t.id}  {due}  {t.kind:<13}  {t.process_id or '?'} v{t.version or '?'}  {describe(t)}")


def describe(timer: PendingTimer) -> str:
    """What the timer acts on: a new case (timer start event) or an existing case's element."""
    if timer.kind == TimerKind.PROCESS_START.value:
        return f"new case at {timer.element_id} (occurrence {timer.task_id})"
    return f"case #{timer.instance_id}  {timer.element_id or ''}".rstrip()
