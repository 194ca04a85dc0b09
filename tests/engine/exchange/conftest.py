"""Exchange tests: this agency (B, the receiver) with the demo organisation, the shipped procedures and the demo
keys; agency A, the sender, in its directory with its agency certificate pinned; packages A would send, with a PDF
signed by A's keys and the envelope signed with A's agency key (the demo's: both agencies share the demo CA)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from engine.clock import VirtualClock
from engine.deployment.service import collect_sources
from engine.documents.demo import DemoKeys
from engine.exchange.package import Attachment, Organ, Package, Trace, build_package
from engine.exchange.seal import seal_package
from engine.services import Services, build_services
from engine.settings import ExchangeSettings, Settings
from engine.signing.registry import CertificateRegistry
from tests.conftest import ROOT, _empty_tables
from tests.engine.documents.conftest import DEMO_ORG, doc_settings, keys  # noqa: F401 - fixtures

A = Organ("000.00.31.H37", "Văn phòng Tỉnh ủy Hà Giang")
B = Organ("000.00.32.H37", "Sở Nội vụ tỉnh Hà Giang")


@pytest.fixture
def exchange_settings(doc_settings: Settings) -> Settings:  # noqa: F811
    return replace(doc_settings, exchange=ExchangeSettings(agency_code=B.code, agency_name=B.name, retry_seconds=1,
                                                           retry_max_seconds=4, max_attempts=5, timeout=5))


@pytest.fixture
def agency(exchange_settings: Settings, clock: VirtualClock, keys: DemoKeys) -> Iterator[Services]:  # noqa: F811
    """Agency B: the demo organisation, both document procedures, A in the directory."""
    built = build_services(exchange_settings, clock=clock, verify_state=True)
    built.org.import_file(DEMO_ORG)
    built.deployment.deploy(collect_sources([ROOT / "processes" / "outgoing_document.bpmn",
                                             ROOT / "processes" / "incoming_document.bpmn"]))
    registry = CertificateRegistry(db=built.db, clock=clock)
    for user, cert in keys.certificates.items():
        registry.register(user, cert.read_bytes())
    built.directory.save(A.code, name=A.name, endpoint="http://127.0.0.1:9/api/v1/exchange", token="secret-of-a",
                         certificates=[agency_fingerprint(keys)])
    yield built
    _empty_tables(built)
    built.close()


@pytest.fixture(scope="session")
def signed_pdf(keys: DemoKeys) -> bytes:  # noqa: F811
    """A PDF signed by A's competent person (the demo CA both agencies trust)."""
    from engine.documents.keys import load_person_keys
    from engine.documents.signing import DocumentSigner
    from engine.signing.sample import sample_document

    signer = DocumentSigner(keys.signing, load_person_keys(keys.signing.person_keys), "Asia/Ho_Chi_Minh")
    return bytes(signer.sign_as_person(sample_document().pdf, "bithu"))


def agency_fingerprint(keys: DemoKeys) -> str:  # noqa: F811
    """SHA-256 of the demo agency key's certificate, as A gives it to B."""
    from engine.signing.keys import open_signer

    assert keys.signing.agency_key is not None
    with open_signer(keys.signing.agency_key) as signer:
        return str(signer.signing_cert.sha256.hex())


def sealed(package: Package, keys: DemoKeys) -> bytes:  # noqa: F811
    """The package as A sends it: edXML with its envelope signed by A's agency key (a real PKCS#12 signer)."""
    from engine.signing.keys import open_signer

    assert keys.signing.agency_key is not None
    with open_signer(keys.signing.agency_key) as signer:
        return seal_package(build_package(package), signer)


def package_from_a(pdf: bytes, **changes: object) -> Package:
    """A document package from A to B."""
    base = Package(sender=A, recipients=[B], document_id="000.00.31.H37.17", number="17", notation="BC/TU",
                   date=date(2026, 4, 27), place="Hà Giang", type_name="Báo cáo",
                   subject="Báo cáo kết quả chuyển đổi số quý I năm 2026", signer_name="Nguyễn Văn An",
                   signer_position="Bí thư", priority=1, pages=2,
                   traces=[Trace(A.code, datetime(2026, 4, 28, 1, 0, tzinfo=UTC))],
                   attachments=[Attachment("bao-cao.pdf", "application/pdf", pdf)])
    return replace(base, **changes)  # type: ignore[arg-type]
