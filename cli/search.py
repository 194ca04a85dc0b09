"""``procflow search``: find cases by words (as the "Tra cứu hồ sơ" page does), or rebuild the search index."""

from __future__ import annotations

import click

from cli.common import echo_json, friendly_errors, services_of
from engine.cases.search import SearchFilters


@click.group()
def search() -> None:
    """Full-text case search (docs/search.md)."""


@search.command("find")
@click.argument("words", nargs=-1)
@click.option("--user", required=True, help="who is searching: only the cases they may see are found")
@click.option("--process", "process_id", default=None)
@click.option("--status", default=None)
@click.option("--unit", default=None)
@click.option("--from", "started_from", default=None, help="started on or after (YYYY-MM-DD)")
@click.option("--to", "started_to", default=None, help="started on or before (YYYY-MM-DD)")
@click.option("--page", default=1, type=int)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
@friendly_errors
def find(ctx: click.Context, words: tuple[str, ...], user: str, process_id: str | None, status: str | None,
         unit: str | None, started_from: str | None, started_to: str | None, page: int, fmt: str) -> None:
    """The cases USER may see containing every one of WORDS (with or without diacritics), best first."""
    filters = SearchFilters.load({"process_id": process_id, "status": status, "unit": unit,
                                  "started_from": started_from, "started_to": started_to})
    found = services_of(ctx).search.search(user, " ".join(words), filters, page=page)
    if fmt == "json":
        echo_json({"total": found.total, "more": found.more, "page": found.page,
                   "hits": [h.as_dict() for h in found.hits]})
        return
    for hit in found.hits:
        snippet = "".join(f"[{t}]" if marked else t for t, marked in hit.snippet)
        click.echo(f"#{hit.id}  {hit.status:10} {hit.title or ''}\n      {snippet}")
    if found.more:
        click.echo(f"more than {found.total} cases found: the most recent {found.total} are ranked; "
                   "add words or filters")
    else:
        click.echo(f"{found.total} case(s) found" if found.total else "no case found")


@search.command("reindex")
@click.pass_context
@friendly_errors
def reindex(ctx: click.Context) -> None:
    """Write every case's search row again from its current data (after an upgrade that changes what is indexed)."""
    services = services_of(ctx)
    click.echo(f"{services.search.reindex(services.queries)} case(s) indexed")
