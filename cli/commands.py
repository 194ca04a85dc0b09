"""The core ``procflow`` commands: schema, deploy, cases, tasks, organisation, worker."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path

import click

from cli.common import cli_language, echo_json, friendly_errors, json_arg, services_of
from engine.cases.attachments import Upload
from engine.errors import InvalidInput
from engine.persistence.case_fields import display_key
from engine.persistence.models import InstanceStatus
from engine.services import upgrade_database
from engine.settings import Settings


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
    from engine.deployment.service import collect_sources

    services = services_of(ctx)
    sources = collect_sources(paths or [services.settings.processes_dir])
    for result in services.deployment.deploy(sources, deployed_by=user):
        if result.note:
            click.echo(f"note: {result.file}: {result.process_id}: {result.note}")
            continue
        state = "new version" if result.created else "unchanged"
        click.echo(f"{result.process_id} v{result.version} ({state}) {result.name}")


@main.command()
@click.argument("process_id")
@click.option("--data", default=None, help="Initial data as a JSON object.")
@click.option("--key", "business_key", default=None, help="Business key (e.g. a document number).")
@click.option("--user", default=None, help="Who starts the instance.")
@click.option("--file", "files", multiple=True, metavar="FIELD=PATH",
              help="A file for a file field of the start form (repeat for several), e.g. tep_van_ban=cv.pdf.")
@click.pass_context
@friendly_errors
def start(ctx: click.Context, process_id: str, data: str | None, business_key: str | None,
          user: str | None, files: tuple[str, ...]) -> None:
    """Start an instance of PROCESS_ID and print its id."""
    with ExitStack() as stack:
        uploads: dict[str, list[Upload]] = {}
        for given in files:
            field, _, path = given.partition("=")
            if not field or not path:
                raise InvalidInput(f"--file must read FIELD=PATH, not {given!r}")
            try:
                stream = stack.enter_context(Path(path).open("rb"))
            except OSError as exc:
                raise InvalidInput(f"--file {field}: cannot read {path}: {exc.strerror}", {field: [str(exc)]}) from exc
            uploads.setdefault(field, []).append(Upload(Path(path).name, stream))
        instance_id = services_of(ctx).starter.start(process_id, data=json_arg(data), files=uploads,
                                                     business_key=business_key, user=user, locale=cli_language())
    click.echo(instance_id)


@main.command()
@click.option("--user", default=None, help="Only tasks this user may work on.")
@click.option("--instance", "instance_id", type=int, default=None)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
@friendly_errors
def tasks(ctx: click.Context, user: str | None, instance_id: int | None, fmt: str) -> None:
    """List open user tasks, earliest deadline first."""
    found = services_of(ctx).queries.tasks(user=user, instance_id=instance_id)
    if fmt == "json":
        echo_json([t.as_dict() for t in found])
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
    services = services_of(ctx)
    instance = services.runtime.complete_task(task_id, user=user, data=json_arg(data), locale=cli_language())
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
    view = services_of(ctx).queries.instance(instance_id)
    if fmt == "json":
        echo_json(view.as_dict())
        return
    click.echo(f"instance {view.id}: {view.process_id} v{view.version}  {view.status}")
    if view.summary:
        click.echo(f"title: {view.summary}")
    if view.business_key:
        click.echo(f"business key: {display_key(view.business_key)}")
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
    found = services_of(ctx).queries.instances(status=status, process_id=process_id)
    if fmt == "json":
        echo_json([i.as_dict() for i in found])
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
        getattr(services_of(ctx).runtime, name)(instance_id, user=user)
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
    instance = services_of(ctx).runtime.retry(instance_id, user=user, data=json_arg(data), upgrade=upgrade)
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
    record = services_of(ctx).runtime.send_message(name, instance_id=instance_id, business_key=business_key,
                                                 payload=json_arg(data), user=user)
    click.echo(f"delivered; instance {record.id} is {record.status.value}" if record is not None else "delivered")


@main.command()
@click.option("--limit", type=click.IntRange(1, 10000), default=100, show_default=True)
@click.pass_context
@friendly_errors
def undelivered(ctx: click.Context, limit: int) -> None:
    """List the messages cases sent that no case took (e.g. correlated for a case that is not there)."""
    for item in services_of(ctx).admin.undelivered(limit=limit):
        keys = json.dumps(item.correlations, ensure_ascii=False) if item.correlations else "-"
        click.echo(f"{item.at.isoformat(timespec='seconds')}  instance {item.instance_id} ({item.process_id})  "
                   f"{item.message}  {keys}")


@main.command()
@click.argument("name")
@click.option("--data", default=None, help="The signal's payload (JSON object).")
@click.pass_context
@friendly_errors
def signal(ctx: click.Context, name: str, data: str | None) -> None:
    """Broadcast the BPMN signal NAME to every case waiting for it and start the processes that start on it."""
    services_of(ctx).runtime.send_signal(name, payload=json_arg(data))
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
        result = services_of(ctx).org.import_file(path)
    except InvalidInput as exc:
        details = "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.fields.items())
        raise InvalidInput(f"{path}: {exc} ({details})" if details else f"{exc}") from exc
    click.echo(f"imported {result.units} units, {result.groups} groups, {result.users} users")



@main.command()
@click.option("--burst", is_flag=True, help="Process everything due now, then exit.")
@click.option("--name", default=None, help="Worker name (default: host and pid).")
@friendly_errors
def worker(burst: bool, name: str | None) -> None:
    """Run an RQ worker with the scheduler: fires timers, reminders and escalations, sends e-mail."""
    from engine.services import run_worker

    run_worker(Settings.from_env(), burst=burst, name=name)


