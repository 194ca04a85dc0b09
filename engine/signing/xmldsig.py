"""Enveloped XML signatures (XML-DSig 1.1) of a whole document: exclusive c14n, RSA-SHA256 over a SHA-256 digest,
the signer's certificate in KeyInfo.

Signing goes through a pyHanko ``Signer`` (``keys.open_signer``): only the signature value is computed by the key,
so a PKCS#11 token or HSM signs as well as a PKCS#12 file. Verification accepts exactly the form ``sign_enveloped``
writes — one Reference to the whole document (``URI=""``) with the enveloped-signature and exclusive c14n
transforms — and refuses anything else rather than interpreting it: other forms are where XML-DSig's wrapping and
transform tricks live.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from asn1crypto import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.x509 import load_der_x509_certificate
from lxml import etree

if TYPE_CHECKING:
    from pyhanko.sign.signers import Signer

DSIG = "http://www.w3.org/2000/09/xmldsig#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256_URI = "http://www.w3.org/2001/04/xmlenc#sha256"
_D = f"{{{DSIG}}}"


@dataclass(frozen=True)
class XmlSignature:
    """What an enveloped signature says and whether its bytes hold (trust is the caller's: see verify.Verifier).

    Attributes:
        certificate: the signer's certificate (of those in KeyInfo, the one whose key made the signature value;
            the first when none did), None when none could be read.
        others: the other certificates of KeyInfo (the chain the signer sent).
        problem: ``malformed`` (not the accepted form), ``not_intact`` (the document's digest differs: changed after
            signing) or ``bad_signature`` (the value does not verify with the certificate); None when intact.
        detail: what exactly failed, in English, for logs and refusals.
    """

    certificate: x509.Certificate | None
    others: tuple[x509.Certificate, ...] = ()
    problem: str | None = None
    detail: str = ""

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the signer's certificate (lowercase hex), or "" without one."""
        return self.certificate.sha256.hex() if self.certificate is not None else ""


def c14n(node: Any) -> bytes:
    """Exclusive XML canonicalisation without comments of an element (or a whole tree)."""
    return bytes(etree.tostring(node, method="c14n", exclusive=True, with_comments=False))


def sign_enveloped(root: Any, parent: Any, signer: Signer) -> Any:
    """Sign the whole document of ``root`` with an enveloped signature appended to ``parent``; return it.

    Args:
        root: the document's root element (signed with everything in it except the signature).
        parent: the element the ``ds:Signature`` goes into, as its last child.
        signer: the key (``keys.open_signer``); its certificate and chain go into KeyInfo.
    """
    signature = etree.SubElement(parent, _D + "Signature", nsmap={"ds": DSIG})
    info = etree.SubElement(signature, _D + "SignedInfo")
    etree.SubElement(info, _D + "CanonicalizationMethod").set("Algorithm", EXC_C14N)
    etree.SubElement(info, _D + "SignatureMethod").set("Algorithm", RSA_SHA256)
    reference = etree.SubElement(info, _D + "Reference")
    reference.set("URI", "")
    transforms = etree.SubElement(reference, _D + "Transforms")
    for algorithm in (ENVELOPED, EXC_C14N):
        etree.SubElement(transforms, _D + "Transform").set("Algorithm", algorithm)
    etree.SubElement(reference, _D + "DigestMethod").set("Algorithm", SHA256_URI)
    digest = etree.SubElement(reference, _D + "DigestValue")
    value = etree.SubElement(signature, _D + "SignatureValue")
    data = etree.SubElement(etree.SubElement(signature, _D + "KeyInfo"), _D + "X509Data")
    cert = signer.signing_cert
    if cert is None:
        raise ValueError("the signer has no certificate")
    chain = [cert] + [c for c in (signer.cert_registry or []) if c.sha256 != cert.sha256]
    for one in chain:
        etree.SubElement(data, _D + "X509Certificate").text = base64.b64encode(one.dump()).decode("ascii")
    digest.text = base64.b64encode(_document_digest(root, signature)).decode("ascii")
    raw = asyncio.run(signer.async_sign_raw(c14n(info), "sha256"))
    value.text = base64.b64encode(raw).decode("ascii")
    return signature


def verify_enveloped(root: Any, signature: Any) -> XmlSignature:
    """Check the enveloped ``signature`` (a ``ds:Signature`` inside ``root``'s document): its form, the document's
    digest and the signature value with the certificate it carries."""
    try:
        info, digest, value, certs = _read(signature)
    except ValueError as exc:
        return XmlSignature(None, problem="malformed", detail=str(exc))
    if not hmac.compare_digest(_document_digest(root, signature), digest):
        return XmlSignature(certs[0], tuple(certs[1:]), "not_intact", "the document's digest does not match the "
                                                                      "signed digest: it was changed after signing")
    signed_info = c14n(info)
    # X509Data may list the chain in any order: the signer's certificate is the one whose key made the value
    for index, cert in enumerate(certs):
        if _verifies(cert, value, signed_info):
            return XmlSignature(cert, tuple(certs[:index] + certs[index + 1:]))
    return XmlSignature(certs[0], tuple(certs[1:]), "bad_signature", "the signature value does not verify with the "
                        "certificate: SignedInfo was changed or another key signed")


def _verifies(cert: x509.Certificate, value: bytes, signed_info: bytes) -> bool:
    public = load_der_x509_certificate(cert.dump()).public_key()
    if not isinstance(public, RSAPublicKey):
        return False
    try:
        public.verify(value, signed_info, PKCS1v15(), SHA256())
    except InvalidSignature:
        return False
    return True


def _read(signature: Any) -> tuple[Any, bytes, bytes, list[x509.Certificate]]:
    """SignedInfo, the digest, the signature value and the certificates, if the signature has the accepted form."""
    info = _one(signature, "SignedInfo")
    _algorithm(_one(info, "CanonicalizationMethod"), EXC_C14N)
    _algorithm(_one(info, "SignatureMethod"), RSA_SHA256)
    references = info.findall(_D + "Reference")
    if len(references) != 1 or references[0].get("URI") != "":
        raise ValueError("exactly one Reference with URI=\"\" (the whole document) is accepted")
    reference = references[0]
    transforms = [t.get("Algorithm") for t in _one(reference, "Transforms").findall(_D + "Transform")]
    if transforms != [ENVELOPED, EXC_C14N]:
        raise ValueError(f"the transforms must be enveloped-signature then exclusive c14n, not {transforms}")
    _algorithm(_one(reference, "DigestMethod"), SHA256_URI)
    digest = _base64(_one(reference, "DigestValue"))
    value = _base64(_one(signature, "SignatureValue"))
    found = _one(signature, "KeyInfo").findall(f"{_D}X509Data/{_D}X509Certificate")
    if not found:
        raise ValueError("KeyInfo carries no X509Certificate")
    try:
        certs = [x509.Certificate.load(_base64(c)) for c in found]
        for cert in certs:
            cert.native  # noqa: B018 - parses it all now, so a broken certificate is refused here
    except (ValueError, TypeError) as exc:
        raise ValueError(f"an X509Certificate cannot be read: {exc}") from exc
    return info, digest, value, certs


def _one(parent: Any, name: str) -> Any:
    found = parent.findall(_D + name)
    if len(found) != 1:
        raise ValueError(f"ds:{name} must appear once in ds:{etree.QName(parent).localname}")
    return found[0]


def _algorithm(node: Any, expected: str) -> None:
    if node.get("Algorithm") != expected:
        raise ValueError(f"ds:{etree.QName(node).localname} must be {expected}, not {node.get('Algorithm')}")


def _base64(node: Any) -> bytes:
    try:
        return base64.b64decode("".join((node.text or "").split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"ds:{etree.QName(node).localname} is not base64") from exc


def _document_digest(root: Any, signature: Any) -> bytes:
    """SHA-256 of the exclusive c14n of the document without ``signature`` (the enveloped-signature transform).

    The transform removes the element only: text after it stays, so its tail joins the previous node's for the
    digest. The tree is put back as it was afterwards.
    """
    parent = signature.getparent()
    index, tail = parent.index(signature), signature.tail
    before = signature.getprevious()
    saved = before.tail if before is not None else parent.text
    parent.remove(signature)
    if tail:
        if before is not None:
            before.tail = (before.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    try:
        return hashlib.sha256(c14n(root.getroottree())).digest()
    finally:
        if before is not None:
            before.tail = saved
        else:
            parent.text = saved
        parent.insert(index, signature)
        signature.tail = tail
