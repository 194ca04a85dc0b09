"""``procflow agencies`` (the agency directory) and ``procflow exchange`` (edXML packages sent and received by hand,
for operators; docs/exchange.md)."""

from __future__ import annotations

from pathlib import Path

import click

from cli.common import friendly_errors, services_of


@click.group()
def agencies() -> None:
    """The agency directory: who this agency exchanges documents with."""


@agencies.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
@friendly_errors
def import_agencies(ctx: click.Context, file: Path) -> None:
    """Add or update the agencies of FILE (YAML or CSV: code, name, endpoint, token / token_env / token_file,
    certificate / certificate_file)."""
    added, changed = services_of(ctx).directory.import_file(file)
    click.echo(f"{added} agencies added, {changed} updated")


@agencies.command("list")
@click.pass_context
@friendly_errors
def list_agencies(ctx: click.Context) -> None:
    """Every agency: code, name, endpoint, whether a token is set, the pinned certificates, active or not."""
    for a in services_of(ctx).directory.entries():
        pinned = ",".join(a.certificates) or "no certificate"
        click.echo(f"{a.code}\t{a.name}\t{a.endpoint}\t{'token' if a.has_token else 'no token'}\t{pinned}\t"
                   f"{'active' if a.active else 'inactive'}")


@click.group()
def exchange() -> None:
    """edXML packages (QCVN 102:2016) exchanged with the agencies of the directory."""


@exchange.command("send")
@click.argument("package", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--to", "to", required=True, help="The agency's code in the directory.")
@click.pass_context
@friendly_errors
def send(ctx: click.Context, package: Path, to: str) -> None:
    """Deliver the package file PACKAGE to agency TO now (retried later by the workers if it cannot be)."""
    services = services_of(ctx)
    delivery = services.exchange.send_file(package.read_bytes(), to)
    state = services.exchange.deliver(delivery)
    click.echo(f"delivery {delivery}: {state}")
    if state == "failed":
        ctx.exit(1)


@exchange.command("send-document")
@click.argument("document_id", type=int)
@click.option("--to", "to", required=True, help="The agency's code in the directory.")
@click.pass_context
@friendly_errors
def send_document(ctx: click.Context, document_id: int, to: str) -> None:
    """Deliver the issued outgoing document DOCUMENT_ID to agency TO now (again, after a failure)."""
    services = services_of(ctx)
    delivery = services.exchange.send_document(document_id, to)
    click.echo(f"delivery {delivery}: {services.exchange.deliver(delivery)}")


@exchange.command("package")
@click.argument("document_id", type=int)
@click.option("--to", "to", required=True, help="The agency's code in the directory.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
@friendly_errors
def package(ctx: click.Context, document_id: int, to: str, out: Path) -> None:
    """Write the package of the issued outgoing document DOCUMENT_ID for agency TO to OUT (to look at it)."""
    services = services_of(ctx)
    with services.db.connect() as conn:
        endpoint = services.directory.endpoint(conn, to)
        if endpoint is None:
            raise click.ClickException(f"no agency {to} in the directory")
        out.write_bytes(services.exchange.signed_package(conn, document_id, endpoint))
    click.echo(f"{out}: {services.exchange.edxml_id(document_id)}")


@exchange.command("certificate")
@click.option("--pem", is_flag=True, help="Print the certificate itself (PEM) after its fingerprint.")
@click.pass_context
@friendly_errors
def certificate(ctx: click.Context, pem: bool) -> None:
    """The SHA-256 fingerprint of the agency certificate this agency signs its packages with: the other agencies
    pin it in their directories (field certificate)."""
    from asn1crypto import pem as armor

    cert = services_of(ctx).exchange.agency_certificate()
    click.echo(cert.sha256.hex())
    click.echo(cert.subject.human_friendly, err=True)
    if pem:
        click.echo(armor.armor("CERTIFICATE", cert.dump()).decode("ascii"), nl=False)


@exchange.command("receive")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--user", "username", required=True, help="Who registers it (a member of the clerical office).")
@click.pass_context
@friendly_errors
def receive(ctx: click.Context, file: Path, username: str) -> None:
    """Receive the package FILE as if it had arrived through the API (the same checks)."""
    receipt = services_of(ctx).exchange.receive(file.read_bytes(), user=username)
    if receipt.status_id is not None:
        click.echo(f"status {receipt.status_id} recorded for {receipt.edxml_id}")
    else:
        click.echo(f"document {receipt.document_id} registered, case {receipt.instance_id}")


@exchange.command("deliver")
@click.pass_context
@friendly_errors
def deliver(ctx: click.Context) -> None:
    """Try every due delivery now, here (the workers do it on their own)."""
    counts = services_of(ctx).exchange.deliver_due()
    click.echo(", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "nothing due")


@exchange.command("outbox")
@click.argument("document_id", type=int)
@click.pass_context
@friendly_errors
def outbox(ctx: click.Context, document_id: int) -> None:
    """The deliveries of document DOCUMENT_ID and the statuses its recipients sent back."""
    services = services_of(ctx)
    for d in services.exchange.deliveries_of(document_id):
        click.echo(f"delivery {d.id}\t{d.kind}{' ' + d.status_code if d.status_code else ''}\t{d.agency_code}\t"
                   f"{d.state}\tattempts {d.attempts}\t{d.last_error or ''}")
    for s in services.exchange.statuses_of(document_id):
        click.echo(f"status {s.status_code} ({s.status_name})\t{s.agency_code}\t{s.at.isoformat()}\t{s.description}"
                   f"\t{s.staff}")
