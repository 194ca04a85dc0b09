"""Running the web app: under gunicorn for production (``procflow serve``), or beside the worker (``procflow run``).

The ``procflow`` console script enters here: this module adds ``serve`` to the engine's command group and
registers how ``run`` starts the web app, so the engine itself never imports Flask or this package.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

import click

from engine.errors import InvalidInput
from engine.settings import Settings

DEFAULT_BIND = "127.0.0.1:8000"


def gunicorn_argv(*, bind: str, workers: int, threads: int, extra: tuple[str, ...] = ()) -> list[str]:
    """The gunicorn command line that serves ``web:create_app()``."""
    return [sys.executable, "-m", "gunicorn", "--bind", bind, "--workers", str(workers), "--threads", str(threads),
            "--worker-class", "gthread", "--timeout", "60", "--access-logfile", "-", *extra, "web:create_app()"]


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


def main() -> Any:
    """The ``procflow`` command: the engine's commands plus the web app's."""
    from engine import cli as engine_cli

    engine_cli.FRONT_END = start_in_background
    engine_cli.main.add_command(serve_command)
    return engine_cli.main()
