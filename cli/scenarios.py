"""``procflow test``: run scenario files on virtual time and report what they reached of the models."""

from __future__ import annotations

import click

from cli.common import echo_json, friendly_errors
from engine.designer.scenarios.coverage import ProcessCoverage
from engine.designer.scenarios.play import Failure
from engine.designer.scenarios.runner import RunReport, run_scenarios
from engine.settings import Settings


@click.command("test")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("-k", "keyword", default=None, metavar="SUBSTRING",
              help="Only scenarios whose name or file name contains SUBSTRING (any case).")
@click.pass_context
@friendly_errors
def scenario_test(ctx: click.Context, paths: tuple[str, ...], fmt: str, keyword: str | None) -> None:
    """Run the scenario files (*.scenarios.yaml) under PATHS (default: the processes folder).

    Each scenario runs on its own embedded database and virtual clock. Exit code 1 if any scenario failed.
    """
    settings = ctx.ensure_object(dict).get("settings") or Settings.from_env()
    report = run_scenarios(paths or [settings.processes_dir], settings=settings, keyword=keyword)
    if fmt == "json":
        echo_json(report.as_dict())
    else:
        for line in report_lines(report):
            click.echo(line)
    if report.failed:
        ctx.exit(1)


def report_lines(report: RunReport) -> list[str]:
    """The text report: each scenario, what no scenario reached, then ``N passed, M failed``."""
    lines = []
    for result in report.results:
        lines.append(f"{'PASS' if result.passed else 'FAIL'} {result.file}: {result.name}")
        if result.failure is not None:
            lines.extend(_failure_lines(result.failure))
    if report.coverage:
        lines.append("coverage:")
        for coverage in report.coverage:
            lines.extend(_coverage_lines(coverage))
    lines.append(f"{report.passed} passed, {report.failed} failed")
    return lines


def _failure_lines(failure: Failure) -> list[str]:
    where = f"step {failure.step} ({failure.action})" if failure.step else failure.action
    lines = [f"  {where}:"]
    for difference in failure.differences:
        lines.extend(f"    {line}" for line in difference.splitlines())
    return lines


def _coverage_lines(coverage: ProcessCoverage) -> list[str]:
    head = f"  {coverage.process_id} ({coverage.file}):"
    if coverage.complete:
        return [f"{head} all {coverage.elements} elements and {coverage.flows} sequence flows reached"]
    reached = coverage.elements - len(coverage.unreached_elements)
    taken = coverage.flows - len(coverage.untaken_flows)
    lines = [f"{head} {reached}/{coverage.elements} elements, {taken}/{coverage.flows} sequence flows reached"]
    if coverage.unreached_elements:
        lines.append(f"    elements not reached: {', '.join(coverage.unreached_elements)}")
    if coverage.untaken_flows:
        flows = ", ".join(f"{fid} ({source} -> {target})" for fid, source, target in coverage.untaken_flows)
        lines.append(f"    sequence flows not taken: {flows}")
    return lines
