"""What every command shares: the services of the invocation, one-line errors, JSON output."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from typing import Any

import click
from sqlalchemy.exc import DBAPIError

from engine.cases.starting import FILES_REFUSED
from engine.errors import NO_PROCESS, NO_USER, InvalidInput, InvalidModel, ProcflowError
from engine.forms import MESSAGES
from engine.i18n import normalize_locale
from engine.inputs.strict_json import InvalidJson, loads_strict
from engine.services import Services, build_services
from engine.settings import Settings


def services_of(ctx: click.Context) -> Services:
    obj = ctx.ensure_object(dict)
    if "services" not in obj:
        settings = obj.get("settings") or Settings.from_env()
        # With a Redis server configured, timers the command creates are scheduled at once; on the embedded
        # default they wait in SQL for the worker's reconciliation (every few seconds).
        redis = None
        if settings.redis_url:
            from engine.queue.connection import connect_redis

            redis = connect_redis(settings)
        obj["services"] = build_services(settings, redis=redis)
        ctx.call_on_close(obj["services"].close)
    return obj["services"]


# What to do next, for messages a person at the command line can act on with another command. The engine's
# messages stay free of commands: the web shows them too.
HINTS = {
    NO_USER: "import the organisation with `procflow org import`",
    NO_PROCESS: "deploy it with `procflow deploy`",
}


def cli_language() -> str:
    """The language of the command line's messages: English unless PROCFLOW_LANG (else LANG) says Vietnamese."""
    return normalize_locale(os.environ.get("PROCFLOW_LANG") or os.environ.get("LANG"), "en")


# Refusals of a form's data, whose messages per field say what to change.
FORM_REFUSALS = (MESSAGES["invalid_form"], FILES_REFUSED)


def error_text(exc: ProcflowError) -> str:
    """An engine error as the command line says it: in its language, with a hint where one helps."""
    hint = HINTS.get(exc.message_id)
    text = exc.render(cli_language())
    if exc.message_id in FORM_REFUSALS:  # a form's refusal names each field and why (in the command's language)
        fields = getattr(exc, "fields", None) or {}
        text = " ".join([text, *(f"{name}: {' '.join(found)}" for name, found in fields.items())])
    return f"{text} ({hint})" if hint else text


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
            click.echo(f"error: {error_text(exc)}", err=True)
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


def json_arg(text: str | None, name: str = "--data") -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = loads_strict(text, field=name)  # no NaN, no 5,000-digit integers, no 1e999, not too deep
    except InvalidJson as exc:
        raise InvalidInput(f"{name} is not valid JSON: {exc.reason} at column {exc.column}", exc.fields) from exc
    if not isinstance(value, dict):
        raise InvalidInput(f"{name} must be a JSON object like '{{\"key\": \"value\"}}'")
    return value


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


