"""``procflow lint``: check model files for what deploy refuses and what designers should fix, like ruff."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import click
from sqlalchemy import create_engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from cli.common import friendly_errors
from engine.deployment.service import collect_sources
from engine.designer.lint.runner import lint_sources
from engine.errors import InvalidInput, ModelProblem
from engine.org.service import read_org_file
from engine.persistence.models import DeployedDecision, Group, ProcessVersion, Unit
from engine.settings import Settings

CONNECT_TIMEOUT = 3  # seconds; lint must not hang on a database that is down, it just checks less


@dataclass(frozen=True)
class Deployed:
    """What the database knows that lint compares models with."""

    groups: frozenset[str]  # codes and names
    processes: frozenset[str]
    decisions: frozenset[str]
    units: frozenset[str] = frozenset()  # codes


@click.command("lint")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--org", "org_file", type=click.Path(path_type=Path), default=None,
              help="Organisation file (YAML or CSV) whose groups lanes and units escalateTo must name; "
                   "default: the database's.")
@click.option("--forms", "forms_dir", type=click.Path(path_type=Path), default=None,
              help="Folder of <key>.form files (default: the forms folder of the settings).")
@friendly_errors
def lint(paths: tuple[str, ...], fmt: str, org_file: Path | None, forms_dir: Path | None) -> None:
    """Check BPMN/DMN files or folders (default: the processes folder); exit 1 when any has an error."""
    settings = Settings.from_env()
    sources = collect_sources(paths or [settings.processes_dir])
    if not sources:
        raise InvalidInput("nothing to lint: give .bpmn or .dmn files or folders")
    deployed = read_deployed(settings)
    groups, units = _org(org_file) if org_file is not None else _deployed_org(deployed)
    problems = lint_sources(sources, groups=groups, units=units, forms_dir=_forms_dir(forms_dir, settings),
                            known_processes=deployed.processes if deployed else (),
                            known_decisions=deployed.decisions if deployed else ())
    if groups is None:
        click.echo("note: W103 not checked: no --org file and no groups in the database", err=True)
    if fmt == "json":
        click.echo(json.dumps([_as_dict(p) for p in problems], ensure_ascii=False, indent=2))
    else:
        for problem in problems:
            click.echo(format_problem(problem))
        click.echo(summary(problems, len(sources)))
    sys.exit(1 if any(p.severity == "error" for p in problems) else 0)


def format_problem(problem: ModelProblem) -> str:
    """One problem as ruff writes one: ``file:line:col: CODE element: message``."""
    element = f"{problem.element_id}: " if problem.element_id else ""
    return f"{problem.file}:{problem.line or 1}:{problem.column or 1}: {problem.code} {element}{problem.message}"


def summary(problems: list[ModelProblem], files: int) -> str:
    """The last line: how many errors and warnings in how many files."""
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    checked = f"{files} file{'s' if files != 1 else ''}"
    if not problems:
        return f"All checks passed ({checked})."
    return (f"Found {errors} error{'s' if errors != 1 else ''} and {warnings} warning{'s' if warnings != 1 else ''}"
            f" in {checked}.")


def _as_dict(problem: ModelProblem) -> dict[str, object]:
    return {"file": problem.file, "line": problem.line or 1, "column": problem.column or 1, "code": problem.code,
            "severity": problem.severity, "element_id": problem.element_id, "message": problem.message}


Org = tuple[frozenset[str] | None, frozenset[str] | None]  # group codes and names, unit codes; None: unknown


def _org(path: Path) -> Org:
    """Codes and names of the groups, and codes of the units, of an organisation file."""
    data = read_org_file(path)
    groups, units = data.get("groups") or [], data.get("units") or []
    if not isinstance(groups, list):
        raise InvalidInput(f"{path}: groups must be a list of {{code, name}}")
    if not isinstance(units, list):
        raise InvalidInput(f"{path}: units must be a list of {{code, name, parent, head}}")
    return (frozenset(str(g.get(k)) for g in groups if isinstance(g, dict) for k in ("code", "name") if g.get(k)),
            frozenset(str(u.get("code")) for u in units if isinstance(u, dict) and u.get("code")))


def _deployed_org(deployed: Deployed | None) -> Org:
    """The database's organisation, known when it has groups."""
    if deployed is None or not deployed.groups:
        return None, None
    return deployed.groups, deployed.units


def _forms_dir(given: Path | None, settings: Settings) -> Path | None:
    """The forms folder: the one given (which must exist), else the settings' when it exists."""
    if given is not None and not given.is_dir():
        raise InvalidInput(f"--forms {given}: no such folder")
    if given is not None:
        return given
    return settings.forms_dir if settings.forms_dir.is_dir() else None


def read_deployed(settings: Settings) -> Deployed | None:
    """Groups, processes and decisions from the database; None when there is none to read (never creates one)."""
    url = make_url(settings.database_url)
    if settings.is_sqlite and not (url.database and Path(url.database).is_file()):
        return None
    engine = create_engine(url, connect_args={} if settings.is_sqlite else {"connect_timeout": CONNECT_TIMEOUT})
    try:
        with engine.connect() as conn:
            groups = {name for row in conn.execute(select(Group.code, Group.name)) for name in row if name}
            processes = set(conn.scalars(select(ProcessVersion.process_id).distinct()))
            decisions = set(conn.scalars(select(DeployedDecision.decision_id).distinct()))
            units = set(conn.scalars(select(Unit.code)))
    except SQLAlchemyError:  # unreachable, or no procflow tables yet: lint what can be linted without it
        return None
    finally:
        engine.dispose()
    return Deployed(frozenset(groups), frozenset(processes), frozenset(decisions), frozenset(units))
