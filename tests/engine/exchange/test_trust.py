"""Who may deliver a package and whether its header is the sender's: the token's bound agencies, the envelope's
XML signature (unchanged since signing, a trusted certificate, the one the directory pins for the sender)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.documents import records
from engine.documents.demo import DemoKeys
from engine.errors import PermissionDenied
from engine.exchange.package import build_package
from engine.exchange.seal import AgencySeal, seal_package
from engine.exchange.service import Refused, outbox, receipts, refusals
from engine.services import Services
from engine.settings import KeySpec
from engine.signing.demo_pki import PASSPHRASE, DemoPKI
from engine.signing.keys import open_signer
from tests.engine.exchange.conftest import A, package_from_a, sealed
from tests.engine.exchange.test_delivery import C, Receiver, _issue, receiver  # noqa: F401 - fixture

OTHER = "000.00.40.H37"


def _count(services: Services, table) -> int:  # type: ignore[no-untyped-def]
    with services.db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _nothing_registered(services: Services) -> None:
    assert (_count(services, records.documents), _count(services, receipts)) == (0, 0)


def _signed_with(spec: KeySpec, content: bytes) -> bytes:
    with open_signer(spec) as signer:
        return seal_package(content, signer)


def _told_a(services: Services) -> list[str]:
    with services.db.connect() as conn:
        return list(conn.execute(select(outbox.c.status_code).where(outbox.c.agency_code == A.code)).scalars())


# -- the token ------------------------------------------------------------------------------------
@pytest.mark.parametrize("bound", [frozenset({A.code}), frozenset({OTHER, A.code}), frozenset({"*"})])
def test_a_token_bound_to_the_sender_or_to_any_agency_may_deliver(agency: Services, signed_pdf: bytes, keys: DemoKeys,
                                                                  bound: frozenset[str]) -> None:
    receipt = agency.exchange.receive(sealed(package_from_a(signed_pdf), keys), user="vanthu", token="lien_thong",
                                      speaks_for=bound)
    assert receipt.document_id is not None


@pytest.mark.parametrize(("bound", "message"), [
    (frozenset({OTHER}), f"lien_thong delivers packages of {OTHER} only, not of {A.code}"),
    (frozenset(), "not bound to any agency: bind it .* `procflow tokens bind lien_thong --agency CODE`"),
])
def test_a_token_not_bound_to_the_sender_is_refused_and_only_the_refusal_kept(agency: Services, signed_pdf: bytes,
                                                                            keys: DemoKeys, bound: frozenset[str],
                                                                            message: str) -> None:
    with pytest.raises(PermissionDenied, match=message):
        agency.exchange.receive(sealed(package_from_a(signed_pdf), keys), user="vanthu", token="lien_thong",
                                speaks_for=bound)
    _nothing_registered(agency)
    [refusal] = agency.exchange.refusals()
    assert (refusal["status"], refusal["sender_code"]) == (403, A.code)
    assert _told_a(agency) == []  # the sender is not told: the caller was not entitled to speak for it


# -- the envelope's signature ---------------------------------------------------------------------
def test_a_header_changed_after_signing_is_refused_and_the_sender_told(agency: Services, signed_pdf: bytes,
                                                                     keys: DemoKeys) -> None:
    package = package_from_a(signed_pdf)
    signed = sealed(package, keys)
    changed = signed.replace(package.subject.encode(), "Báo cáo đã bị sửa trên đường đi".encode(), 1)
    assert changed != signed
    with pytest.raises(Refused, match=r"does not match its content: the package was changed after signing"):
        agency.exchange.receive(changed, user="vanthu")
    _nothing_registered(agency)
    [refusal] = agency.exchange.refusals()
    assert refusal["status"] == 422 and "changed after signing" in refusal["reason"]
    assert _told_a(agency) == ["02"]
    # the same bytes as signed are accepted
    assert agency.exchange.receive(signed, user="vanthu").document_id is not None


def test_an_unsigned_package_is_refused_unless_unsigned_senders_are_allowed(agency: Services, signed_pdf: bytes,
                                                                          ) -> None:
    unsigned = build_package(package_from_a(signed_pdf))
    with pytest.raises(Refused, match="envelope is not signed: 000.00.31.H37 must sign it"):
        agency.exchange.receive(unsigned, user="vanthu")
    _nothing_registered(agency)
    assert _told_a(agency) == ["02"]
    agency.exchange.settings = replace(agency.exchange.settings, allow_unsigned=True)
    assert agency.exchange.receive(unsigned, user="vanthu").document_id is not None


def test_a_trusted_certificate_the_directory_does_not_pin_for_the_sender_is_refused(agency: Services,
                                                                                  signed_pdf: bytes,
                                                                                  keys: DemoKeys) -> None:
    assert keys.signing.agency_key is not None
    leader = KeySpec("pkcs12", keys.signing.agency_key.path.with_name("bithu.p12"), keys.signing.agency_key.secret)
    content = _signed_with(leader, build_package(package_from_a(signed_pdf)))
    with pytest.raises(Refused, match="not with a certificate the directory pins for 000.00.31.H37"):
        agency.exchange.receive(content, user="vanthu")
    _nothing_registered(agency)


def test_a_certificate_of_a_ca_nobody_trusts_is_refused(agency: Services, signed_pdf: bytes, tmp_path: Path) -> None:
    stranger = DemoPKI(tmp_path / "stranger", label="Stranger").issue("agency", A.name, organisation=A.name)
    content = _signed_with(KeySpec("pkcs12", stranger.p12, PASSPHRASE), build_package(package_from_a(signed_pdf)))
    # even pinned: the chain to the trust roots is required as well
    agency.directory.save(A.code, name=A.name, endpoint="http://127.0.0.1:9/api/v1/exchange",
                          certificates=[stranger.fingerprint])
    with pytest.raises(Refused, match=r"is not accepted \(untrusted\): the signer's certificate does not chain"):
        agency.exchange.receive(content, user="vanthu")
    _nothing_registered(agency)


def test_without_a_pinned_certificate_the_sender_is_refused_403(agency: Services, signed_pdf: bytes,
                                                                keys: DemoKeys) -> None:
    agency.directory.save(A.code, name=A.name, endpoint="http://127.0.0.1:9/api/v1/exchange", certificates=[])
    with pytest.raises(PermissionDenied, match="no certificate is pinned for 000.00.31.H37"):
        agency.exchange.receive(sealed(package_from_a(signed_pdf), keys), user="vanthu")
    _nothing_registered(agency)
    assert [r["status"] for r in agency.exchange.refusals()] == [403]


def test_the_envelope_signer_is_kept_with_the_document(agency: Services, signed_pdf: bytes, keys: DemoKeys) -> None:
    receipt = agency.exchange.receive(sealed(package_from_a(signed_pdf), keys), user="vanthu")
    [pinned] = agency.directory.get(A.code).certificates
    with agency.db.connect() as conn:
        extra = conn.execute(select(records.documents.c.extra)
                             .where(records.documents.c.id == receipt.document_id)).scalar_one()
    assert extra["exchange"]["envelope"]["fingerprint"] == pinned
    assert _count(agency, refusals) == 0


# -- sending --------------------------------------------------------------------------------------
def test_a_delivered_package_carries_the_agency_signature_and_without_a_key_nothing_is_sent(
        agency: Services, receiver: Receiver) -> None:  # noqa: F811
    agency.directory.save(C.code, name=C.name, endpoint=receiver.url, token="t")
    first = _issue(agency, f"{C.name};\nLưu: VT.")
    [delivery] = agency.exchange.deliveries_of(first)
    assert agency.exchange.deliver(delivery.id) == "delivered"
    [(_, _, body)] = receiver.received
    assert agency.exchange.seal is not None
    found = agency.exchange.seal.check(body)
    assert found is not None and found.problems == ()
    assert found.fingerprint == agency.exchange.agency_certificate().sha256.hex()
    # without the agency key, a delivery fails at once with the reason, and nothing leaves
    seal = agency.exchange.seal
    assert isinstance(seal, AgencySeal)
    seal.signing = replace(seal.signing, agency_key=None)
    second = _issue(agency, f"{C.name};\nLưu: VT.")
    [delivery] = agency.exchange.deliveries_of(second)
    assert agency.exchange.deliver(delivery.id) == "failed"
    [failed] = agency.exchange.deliveries_of(second)
    assert "agency key is not configured" in (failed.last_error or "") and len(receiver.received) == 1
