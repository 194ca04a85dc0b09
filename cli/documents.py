"""``procflow documents``: verify the signatures of a PDF; register the certificates users sign with."""

from __future__ import annotations

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
