"""A test PKI made at test time (a trusted CA and a stranger's), SoftHSM2 as a real PKCS#11 token, sample PDFs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.settings import KeySpec
from engine.signing.demo_pki import PASSPHRASE, DemoPKI, Issued, softhsm_module, softhsm_token
from engine.signing.prepare import DocumentLayout, prepare_document
from engine.signing.sample import SampleDocument, sample_document, sample_image
from engine.signing.verify import Verifier

TOKEN, PIN = "co-quan", "5678"


@dataclass(frozen=True)
class People:
    """Certificates of the trusted CA (and one of a stranger's CA)."""

    an: Issued  # the competent person
    binh: Issued  # a colleague, not the assignee
    agency: Issued  # the agency's key (also on the SoftHSM2 token)
    expired: Issued  # validity ended yesterday
    untrusted: Issued  # issued by a CA nobody configured
    revoked: Issued  # listed in the CRL


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DemoPKI:
    return DemoPKI(tmp_path_factory.mktemp("pki"), label="Ban Co yeu Test")


@pytest.fixture(scope="session")
def people(pki: DemoPKI, tmp_path_factory: pytest.TempPathFactory) -> People:
    stranger = DemoPKI(tmp_path_factory.mktemp("stranger"), label="Stranger")
    org = "UBND tỉnh Hà Giang"
    return People(
        an=pki.issue("an", "Nguyễn Văn An", organisation=org),
        binh=pki.issue("binh", "Trần Thị Bình", organisation=org),
        agency=pki.issue("agency", "Ủy ban nhân dân tỉnh Hà Giang", organisation=org),
        expired=pki.issue("expired", "Lê Văn Cũ", organisation=org, expired=True),
        untrusted=stranger.issue("untrusted", "Nguyễn Văn An", organisation=org),
        revoked=pki.issue("revoked", "Phạm Văn Mất", organisation=org))


@pytest.fixture(scope="session")
def verifier(pki: DemoPKI) -> Verifier:
    """Trusts the test root only; no CRLs."""
    return Verifier.from_paths((pki.root_pem,), intermediates=(pki.intermediate_pem,))


def p12(issued: Issued) -> KeySpec:
    """The PKCS#12 key of ``issued``."""
    return KeySpec("pkcs12", issued.p12, PASSPHRASE)


@pytest.fixture(scope="session")
def softhsm(people: People, tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeySpec]:
    """The agency's key on a real SoftHSM2 token the tests initialise (SOFTHSM2_CONF points at it)."""
    module = softhsm_module()
    if module is None:
        pytest.fail("softhsm2 is not installed (apt-get install softhsm2): the PKCS#11 tests need it")
    previous = os.environ.get("SOFTHSM2_CONF")
    softhsm_token(tmp_path_factory.mktemp("softhsm"), people.agency, label=TOKEN, pin=PIN)
    yield KeySpec("pkcs11", module, PIN, token_label=TOKEN, key_label=people.agency.name)
    if previous is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = previous


@dataclass(frozen=True)
class Images:
    signature: Path
    seal: Path


@pytest.fixture(scope="session")
def images(tmp_path_factory: pytest.TempPathFactory) -> Images:
    folder = tmp_path_factory.mktemp("images")
    return Images(sample_image(folder / "chu_ky.png", color=(0, 0, 200), text="An"),
                  sample_image(folder / "con_dau.png", color=(220, 0, 0), text="UBND", size=(300, 300),
                               round_seal=True))


@pytest.fixture(scope="session")
def sample() -> SampleDocument:
    return sample_document(pages=2, appendices=1)


@pytest.fixture(scope="session")
def prepared(sample: SampleDocument) -> bytes:
    """The sample with its number, date and signature fields, not signed yet."""
    return prepare_document(sample.pdf, DocumentLayout(sample.number, sample.date, sample.signing_place,
                                                       tuple(sample.appendix_first_pages)))
