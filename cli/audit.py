"""``procflow audit``: verify the history and access chains and their anchors, or take an anchor now."""

from __future__ import annotations

import sys

import click

from cli.common import echo_json, friendly_errors, services_of


@click.group()
def audit() -> None:
    """Tamper evidence of the history and the access log (docs/security.md)."""


@audit.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
@friendly_errors
def verify(ctx: click.Context, fmt: str) -> None:
    """Walk every case's chains and the anchors; exit 1 naming what was edited, deleted or inserted."""
    report = services_of(ctx).verifier.verify()
    if fmt == "json":
        echo_json({"intact": report.intact, "cases": report.cases, "history_rows": report.history_rows,
                   "access_rows": report.access_rows, "anchors": report.anchors,
                   "seconds": round(report.seconds, 2), "problems": [str(p) for p in report.problems]})
    else:
        for problem in report.problems:
            click.echo(str(problem), err=True)
        summary = (f"{report.cases} cases, {report.history_rows} history rows, {report.access_rows} access rows, "
                   f"{report.anchors} anchors checked in {report.seconds:.1f} s")
        if report.intact:
            click.echo(f"intact: {summary}")
        else:
            click.echo(f"TAMPERED: {len(report.problems)} problem(s), first: {report.problems[0]}; {summary}",
                       err=True)
    if not report.intact:
        sys.exit(1)


@audit.command()
@click.pass_context
@friendly_errors
def anchor(ctx: click.Context) -> None:
    """Anchor the chains of every case changed since the last anchor, now (the workers do it periodically)."""
    made = services_of(ctx).anchors.anchor()
    if made is None:
        click.echo("nothing changed since the last anchor")
    else:
        click.echo(f"anchor #{made.id}: {made.cases} chain head(s), hash {made.hash}")
