"""Enveloped XML signatures with the agency's real keys (a PKCS#12 file and a SoftHSM2 token): what is signed
verifies, any change to the signed bytes is caught, and the certificate is judged as a PDF signer's is."""

from __future__ import annotations

import base64

import pytest
from lxml import etree

from engine.settings import KeySpec, SigningSettings
from engine.signing.demo_pki import DemoPKI
from engine.signing.keys import open_signer
from engine.signing.verify import Verifier
from engine.signing.xmldsig import DSIG, sign_enveloped, verify_enveloped
from tests.engine.signing.conftest import People, p12

DOCUMENT = b"""<?xml version="1.0" encoding="UTF-8"?>
<doc xmlns="urn:test" xmlns:x="urn:other">
  <header>
    <subject>B\xc3\xa1o c\xc3\xa1o qu\xc3\xbd I</subject>
    <x:code a="1">17</x:code>
  </header>
  <body>payload</body>
</doc>
"""


def _signed(spec: KeySpec) -> bytes:
    root = etree.fromstring(DOCUMENT)
    with open_signer(spec) as signer:
        sign_enveloped(root, root.find("{urn:test}header"), signer)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _check(xml: bytes):  # type: ignore[no-untyped-def]
    root = etree.fromstring(xml)
    return verify_enveloped(root, root.find(f".//{{{DSIG}}}Signature"))


def test_a_signature_by_a_pkcs12_key_verifies_and_carries_the_certificate(people: People) -> None:
    found = _check(_signed(p12(people.agency)))
    assert found.problem is None, found.detail
    assert found.fingerprint == people.agency.fingerprint
    assert [c.sha256.hex() for c in found.others]  # the chain the key file holds went along


def test_a_signature_by_a_softhsm2_token_verifies(people: People, softhsm: KeySpec) -> None:
    found = _check(_signed(softhsm))
    assert found.problem is None, found.detail
    assert found.fingerprint == people.agency.fingerprint


@pytest.mark.parametrize(("before", "after"), [
    ("qu\u00fd I".encode(), "qu\u00fd II".encode()),  # the text
    (b'a="1"', b'a="2"'),  # an attribute
    (b"<body>payload</body>", b"<body>payload</body><!-- --><extra/>"),  # an element added
])
def test_any_change_to_the_signed_document_is_not_intact(people: People, before: bytes, after: bytes) -> None:
    signed = _signed(p12(people.agency))
    changed = signed.replace(before, after, 1)
    assert changed != signed
    found = _check(changed)
    assert found.problem == "not_intact" and "changed after signing" in found.detail


def test_formatting_outside_the_canonical_form_does_not_matter(people: People) -> None:
    signed = _signed(p12(people.agency))
    again = signed.replace(b'<x:code a="1">', b"<x:code   a='1' >")
    assert _check(again).problem is None


def test_a_changed_signed_info_or_another_key_is_a_bad_signature(people: People) -> None:
    signed = _signed(p12(people.agency))
    root = etree.fromstring(signed)
    # the digest recomputed for a changed document cannot be re-signed without the key
    reference = root.find(f".//{{{DSIG}}}DigestValue")
    reference.text = base64.b64encode(b"\0" * 32).decode()
    assert verify_enveloped(root, root.find(f".//{{{DSIG}}}Signature")).problem in ("not_intact", "bad_signature")
    # the certificate swapped for another one of the same CA
    root = etree.fromstring(signed)
    cert = root.find(f".//{{{DSIG}}}X509Certificate")
    cert.text = base64.b64encode(people.an.cert.public_bytes(_der())).decode()
    found = verify_enveloped(root, root.find(f".//{{{DSIG}}}Signature"))
    assert found.problem == "bad_signature" and found.fingerprint == people.an.fingerprint


def test_the_signer_is_found_whatever_the_order_of_the_certificates(people: People, pki: DemoPKI) -> None:
    # other implementations (xmlsec1) may list the issuing CA first
    root = etree.fromstring(_signed(p12(people.agency)))
    data = root.find(f".//{{{DSIG}}}X509Data")
    first, second = list(data)
    data.remove(first)
    data.append(first)
    assert list(data)[0] is second
    found = verify_enveloped(root, root.find(f".//{{{DSIG}}}Signature"))
    assert found.problem is None and found.fingerprint == people.agency.fingerprint
    assert [c.sha256.hex() for c in found.others] == [_cert_of(pki.intermediate_cert).sha256.hex()]


def test_other_forms_are_refused_as_malformed(people: People) -> None:
    signed = _signed(p12(people.agency))
    partial = signed.replace(b'URI=""', b'URI="#header"')
    assert _check(partial).problem == "malformed"
    inclusive = signed.replace(b"xml-exc-c14n#\"/></ds:Transforms>", b"xml-c14n-20010315\"/></ds:Transforms>")
    assert inclusive != signed and _check(inclusive).problem == "malformed"


def test_the_certificate_is_judged_against_the_trust_roots(people: People, verifier: Verifier) -> None:
    assert verifier.certificate_problems(_cert(people.agency)) == ()
    assert verifier.certificate_problems(_cert(people.untrusted)) == ("untrusted",)
    assert verifier.certificate_problems(_cert(people.expired)) == ("expired",)


def _cert(issued):  # type: ignore[no-untyped-def]
    return _cert_of(issued.cert)


def _cert_of(cert):  # type: ignore[no-untyped-def]
    from asn1crypto import x509

    return x509.Certificate.load(cert.public_bytes(_der()))


def _der():  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives.serialization import Encoding

    return Encoding.DER


@pytest.mark.parametrize("where", ["pkcs12", "softhsm2"])
def test_an_edxml_package_sealed_by_the_agency_key_verifies_and_a_changed_subject_does_not(
        people: People, pki: DemoPKI, softhsm: KeySpec, where: str) -> None:
    from datetime import date

    from engine.exchange.package import Organ, Package, build_package
    from engine.exchange.seal import AgencySeal

    spec = softhsm if where == "softhsm2" else p12(people.agency)
    seal = AgencySeal(SigningSettings(agency_key=spec, trust_roots=(pki.root_pem,),
                                      intermediates=(pki.intermediate_pem,)))
    package = Package(sender=Organ("000.00.31.H37", "UBND tỉnh"), recipients=[Organ("000.00.32.H37", "Sở Nội vụ")],
                      document_id="000.00.31.H37.1", number="1", notation="UBND-VP", date=date(2026, 4, 27),
                      type_name="Công văn", subject="Về việc chuyển đổi số", signer_name="Nguyễn Văn An")
    signed = seal.sign(build_package(package))
    found = seal.check(signed)
    assert found is not None and found.problems == () and found.fingerprint == people.agency.fingerprint
    assert seal.certificate().sha256.hex() == people.agency.fingerprint
    changed = signed.replace("Về việc chuyển đổi số".encode(), "Về việc khác".encode())
    assert seal.check(changed).problems == ("not_intact",)  # type: ignore[union-attr]
    assert seal.check(build_package(package)) is None  # unsigned
