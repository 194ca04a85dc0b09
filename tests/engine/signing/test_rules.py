"""The rule of signing steps (a valid signature by the assignee) and the users' certificate registry, on the
real database: unsigned, someone else, expired, untrusted, revoked and tampered documents are each refused."""

from __future__ import annotations

import pytest

from engine.errors import Conflict, InvalidInput, NotFound
from engine.services import Services
from engine.signing.demo_pki import DemoPKI, Issued
from engine.signing.keys import open_signer
from engine.signing.registry import CertificateRegistry
from engine.signing.rules import require_signed_by
from engine.signing.sign import sign_as_person
from engine.signing.verify import Verifier
from tests.engine.signing.conftest import Images, People, p12

ORG = {"units": [{"code": "ubnd", "name": "UBND tỉnh"}], "groups": [],
       "users": [{"username": u, "full_name": u, "unit": "ubnd"} for u in ("an", "binh", "cu", "la", "mat")]}


@pytest.fixture
def registry(services: Services, people: People) -> CertificateRegistry:
    services.org.import_structure(ORG)
    registry = CertificateRegistry(db=services.db, clock=services.clock)
    for username, issued in (("an", people.an), ("binh", people.binh), ("cu", people.expired),
                             ("la", people.untrusted), ("mat", people.revoked)):
        registry.register(username, issued.cert_pem.read_bytes())
    return registry


def signed_by(prepared: bytes, issued: Issued, images: Images) -> bytes:
    with open_signer(p12(issued)) as signer:
        return sign_as_person(prepared, signer, image=images.signature)


def test_the_assignees_valid_signature_passes(registry: CertificateRegistry, prepared: bytes, people: People,
                                              images: Images, verifier: Verifier) -> None:
    result = require_signed_by(signed_by(prepared, people.an, images), registry.identity_of("an"), verifier=verifier)
    assert result.signer_name == "Nguyễn Văn An" and result.valid


def test_an_unsigned_upload_is_refused(registry: CertificateRegistry, prepared: bytes, verifier: Verifier) -> None:
    assert verifier.verify_pdf(prepared) == []
    with pytest.raises(InvalidInput, match="carries no digital signature"):
        require_signed_by(prepared, registry.identity_of("an"), verifier=verifier)


def test_a_signature_by_someone_else_is_refused(registry: CertificateRegistry, prepared: bytes, people: People,
                                                images: Images, verifier: Verifier) -> None:
    pdf = signed_by(prepared, people.binh, images)
    with pytest.raises(InvalidInput, match="not signed by 'an': it is signed by Trần Thị Bình"):
        require_signed_by(pdf, registry.identity_of("an"), verifier=verifier)


def test_an_expired_certificate_is_refused(registry: CertificateRegistry, prepared: bytes, people: People,
                                           images: Images, verifier: Verifier) -> None:
    pdf = signed_by(prepared, people.expired, images)
    assert verifier.verify_pdf(pdf)[0].problems == ("expired",)
    with pytest.raises(InvalidInput, match="had expired at the time of signing"):
        require_signed_by(pdf, registry.identity_of("cu"), verifier=verifier)


def test_a_certificate_of_an_untrusted_ca_is_refused(registry: CertificateRegistry, prepared: bytes,
                                                     people: People, images: Images, verifier: Verifier) -> None:
    pdf = signed_by(prepared, people.untrusted, images)
    with pytest.raises(InvalidInput, match="not issued by a trusted certification authority"):
        require_signed_by(pdf, registry.identity_of("la"), verifier=verifier)
    # Same name as the real An, but another certificate: it does not count as An's signature either.
    with pytest.raises(InvalidInput, match="not signed by 'an'"):
        require_signed_by(pdf, registry.identity_of("an"), verifier=verifier)


def test_a_revoked_certificate_is_refused_when_crls_are_configured(
        registry: CertificateRegistry, prepared: bytes, people: People, images: Images, pki: DemoPKI) -> None:
    with_crl = Verifier.from_paths((pki.root_pem,), intermediates=(pki.intermediate_pem,),
                                   crls=(pki.crl([people.revoked.cert]),))
    assert require_signed_by(signed_by(prepared, people.an, images), registry.identity_of("an"), verifier=with_crl)
    with pytest.raises(InvalidInput, match="is revoked"):
        require_signed_by(signed_by(prepared, people.revoked, images), registry.identity_of("mat"),
                          verifier=with_crl)


def test_a_document_changed_after_signing_is_refused(registry: CertificateRegistry, prepared: bytes,
                                                     people: People, images: Images, verifier: Verifier) -> None:
    pdf = bytearray(signed_by(prepared, people.an, images))
    pdf[pdf.index(b"stream", 2000) + 40] ^= 0x01
    with pytest.raises(InvalidInput, match="changed after it was signed by Nguyễn Văn An"):
        require_signed_by(bytes(pdf), registry.identity_of("an"), verifier=verifier)


def test_the_registry_keeps_a_certificate_to_one_user_and_withdraws_it(
        registry: CertificateRegistry, people: People, prepared: bytes, images: Images, verifier: Verifier) -> None:
    with pytest.raises(Conflict, match="already registered for 'an'"):
        registry.register("binh", people.an.cert_pem.read_bytes())
    with pytest.raises(NotFound, match="no user 'nobody'"):
        registry.register("nobody", people.an.cert_pem.read_bytes())
    with pytest.raises(InvalidInput, match="not an X.509 certificate"):
        registry.register("an", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    assert registry.identity_of("an").fingerprints == {people.an.fingerprint}
    assert registry.owner_of(people.an.fingerprint) == "an"

    registry.withdraw(people.an.fingerprint)
    assert registry.identity_of("an").fingerprints == frozenset()
    assert [c.withdrawn for c in registry.certificates_of("an")] == [True]
    with pytest.raises(InvalidInput, match=r"'an' has no registered certificate"):
        require_signed_by(signed_by(prepared, people.an, images), registry.identity_of("an"), verifier=verifier)
