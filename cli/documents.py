"""``procflow documents``: the registers (list, export to PDF or XLSX), one document (show, export), verifying the
signatures of a PDF and registering the certificates users sign with."""

from __future__ import annotations

import json
import logging
import sys
import warnings
from pathlib import Path
from typing import Any

import click

from cli.common import echo_json, friendly_errors, services_of
from engine.errors import InvalidInput
from engine.settings import Settings, SettingsError


@click.group()
def documents() -> None:
    """Digitally signed documents (docs/documents.md)."""


@documents.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@friendly_errors
def verify(file: Path, fmt: str) -> None:
    """Print each signature of FILE; exit 1 when it has none or any is invalid.

    Trust roots, intermediates and CRLs come from PROCFLOW_TRUST_ROOTS, PROCFLOW_INTERMEDIATE_CERTS, PROCFLOW_CRLS.
    """
    settings = _settings()
    if not settings.signing.trust_roots:
        click.echo("warning: no trust roots configured (PROCFLOW_TRUST_ROOTS): no signature can be trusted", err=True)
    verifier = _signing().Verifier.from_settings(settings.signing, settings.timezone)
    results = verifier.verify_pdf(file.read_bytes())
    if fmt == "json":
        echo_json([r.to_dict() for r in results])
    else:
        for n, result in enumerate(results, start=1):
            click.echo(describe(n, result))
    if not results:
        raise InvalidInput(f"{file.name} carries no digital signature")
    if not all(r.valid for r in results):
        sys.exit(1)


def describe(n: int, result: Any) -> str:
    """One signature (an engine.signing.verify.SignatureResult) as a few lines: who, when, as what, whether it
    holds and why not."""
    when = result.signed_at.isoformat() if result.signed_at else "unknown time"
    lines = [f"#{n} {'VALID' if result.valid else 'INVALID'}  {result.signer_name}  {when}"
             f"{' (timestamped)' if result.timestamped else ''}",
             f"   field {result.field}{f' as {result.role}' if result.role else ''}; certificate {result.serial}",
             f"   intact: {_yes(result.intact)}  trusted: {_yes(result.trusted)}  "
             f"changes after signing: {result.modifications}"]
    lines += [f"   - {reason}" for reason in result.reasons]
    return "\n".join(lines)


@documents.command("register-certificate")
@click.argument("username")
@click.argument("certificate", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
@friendly_errors
def register_certificate(ctx: click.Context, username: str, certificate: Path) -> None:
    """Register CERTIFICATE (PEM or DER) as one USERNAME signs with."""
    from engine.signing.registry import CertificateRegistry

    services = services_of(ctx)
    row = CertificateRegistry(db=services.db, clock=services.clock).register(username, certificate.read_bytes())
    click.echo(f"{row.username}  {row.fingerprint}  {row.subject}  until {row.not_after}")


REGISTER = click.Choice(["incoming", "outgoing"])


@documents.command("list")
@click.option("--register", "kind", type=REGISTER, required=True, help="The incoming or the outgoing register.")
@click.option("--year", type=int, help="The register's year (default: every year).")
@click.option("--search", default="", help="Words looked for in the notation, summary, agency, signer, recipients.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
@friendly_errors
def list_documents(ctx: click.Context, kind: str, year: int | None, search: str, fmt: str) -> None:
    """List the numbered documents of a register, by year and number."""
    rows = services_of(ctx).documents.register(kind, year=year, search=search)
    if fmt == "json":
        echo_json([r.as_dict() for r in rows])
        return
    for r in rows:
        click.echo(f"{r.id:>5}  {r.year}/{r.number:<5} {r.notation or '-':<16} {r.status:<10} {r.summary or ''}")
    click.echo(f"{len(rows)} document(s)")


@documents.command("register")
@click.argument("kind", type=REGISTER)
@click.option("--year", type=int, required=True, help="The register's year.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="FILE.pdf (printable, as Decree 30's register forms) or FILE.xlsx.")
@click.pass_context
@friendly_errors
def export_register(ctx: click.Context, kind: str, year: int, out: Path) -> None:
    """Write the incoming or outgoing register of a year as a printable PDF or an XLSX workbook."""
    from engine.documents import printing

    if out.suffix.lower() not in (".pdf", ".xlsx"):
        raise InvalidInput(f"--out must end in .pdf or .xlsx, not '{out.name}'")
    services = services_of(ctx)
    rows = services.documents.register(kind, year=year)
    make = printing.register_pdf if out.suffix.lower() == ".pdf" else printing.register_xlsx
    out.write_bytes(make(kind, year, rows, agency=services.settings.signing.agency_name))
    click.echo(f"{out}: {len(rows)} document(s)")


@documents.command("show")
@click.argument("document_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
@friendly_errors
def show(ctx: click.Context, document_id: int, fmt: str) -> None:
    """Print a document: its record, files and signatures, handling cases, steps and remarks."""
    page = services_of(ctx).documents.page(document_id, None)
    if fmt == "json":
        echo_json(page.as_dict())
        return
    doc = page.document
    click.echo(f"#{doc.id} {doc.kind} {doc.status}  {doc.register or '-'} {doc.year or ''}/{doc.number or '-'}  "
               f"{doc.notation or ''}")
    click.echo(f"   {doc.summary or ''}")
    for f in page.files:
        click.echo(f"   file {f.id} {f.role} v{f.version} {f.filename} {f.sha256[:12]}")
        for sig in f.signatures or []:
            click.echo(f"      {'VALID' if sig['valid'] else 'INVALID'} {sig['signer_name']} as {sig.get('role')}")
    for c in page.cases:
        click.echo(f"   case #{c.instance_id} {c.process_id} {c.status} ({c.relation})")


@documents.command("export")
@click.argument("document_id", type=int)
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.pass_context
@friendly_errors
def export(ctx: click.Context, document_id: int, out: Path) -> None:
    """Write a document's files, its record (document.json) and its case summary (PDF) into a folder."""
    from engine.documents import printing

    services = services_of(ctx)
    page = services.documents.page(document_id, None)
    out.mkdir(parents=True, exist_ok=True)
    for f in page.files:
        _, content = services.documents.open_file(document_id, f.id, None)
        (out / f"{f.role}-v{f.version}-{f.id}-{Path(f.filename).name}").write_bytes(content)
    (out / "document.json").write_text(json.dumps(page.as_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    agency = services.settings.signing.agency_name
    (out / "tom-tat.pdf").write_bytes(printing.case_summary_pdf(page, agency=agency))
    if page.document.kind == "incoming":
        (out / "phieu-giai-quyet.pdf").write_bytes(printing.processing_slip_pdf(page, agency=agency))
    click.echo(f"{out}: {len(page.files)} file(s)")


def _signing():
    """engine.signing.verify, imported only when a command needs it: pyHanko is slow to import."""
    # pyHanko logs every failed path building with a traceback; the result already says why, in one line.
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="DSA is deprecated")  # pyHanko imports cryptography's DSA
        from engine.signing import verify
    return verify


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise InvalidInput(str(exc)) from exc


def _yes(flag: bool) -> str:
    return "yes" if flag else "NO"
