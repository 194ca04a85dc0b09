"""The rule of signing steps: a signing step cannot complete without a valid signature by its assignee."""

from __future__ import annotations

from engine.errors import InvalidInput
from engine.i18n import N_
from engine.signing.registry import SignerIdentity
from engine.signing.verify import SignatureResult, Verifier

# The first problem found decides the message; the order puts what the signer can fix first.
MESSAGES = {
    "not_intact": "the document was changed after it was signed by {who}; the signature no longer holds",
    "bad_signature": "the signature of {who} does not verify",
    "illegal_changes": "the document was changed after it was signed by {who}, in a way the signature does not permit",
    "expired": "the certificate {who} signed with had expired at the time of signing",
    "not_yet_valid": "the certificate {who} signed with was not yet valid at the time of signing",
    "revoked": "the certificate {who} signed with is revoked",
    "untrusted": "the certificate {who} signed with is not issued by a trusted certification authority",
    "no_revocation_info": "the revocation of the certificate {who} signed with cannot be checked",
    "untrusted_timestamp": "the timestamp of the signature of {who} is not valid",
    "chain_problem": "the certificate {who} signed with cannot be validated",
}


def require_signed_by(pdf: bytes, signer: SignerIdentity, *, verifier: Verifier) -> SignatureResult:
    """Check that ``pdf`` carries a valid signature by ``signer`` and that no signature in it is broken.

    Args:
        pdf: the uploaded or stored document.
        signer: the step's assignee and their registered certificates (``CertificateRegistry.identity_of``).
        verifier: trust roots and CRLs.

    Returns:
        The assignee's (last) valid signature.

    Raises:
        InvalidInput: unsigned, signed by someone else, expired or untrusted certificate, changed after signing.
    """
    results = verifier.verify_pdf(pdf)
    if not results:
        raise InvalidInput(N_("the document carries no digital signature; sign it before completing this step"))
    for result in results:
        if not result.intact or "illegal_changes" in result.problems:
            raise InvalidInput(_message(result, result.problems[0]))
    theirs = [r for r in results if r.fingerprint in signer.fingerprints]
    if not theirs:
        names = ", ".join(sorted({r.signer_name for r in results}))
        if not signer.fingerprints:
            raise InvalidInput(N_("the document is not signed by '{username}': it is signed by {names} ('{username}' "
                                  "has no registered certificate)"), username=signer.username, names=names)
        raise InvalidInput(N_("the document is not signed by '{username}': it is signed by {names}"),
                           username=signer.username, names=names)
    last = theirs[-1]
    if not last.valid:
        raise InvalidInput(_message(last, last.problems[0]))
    return last


def _message(result: SignatureResult, problem: str) -> str:
    who = f"{result.signer_name} (certificate {result.serial})"
    template = MESSAGES.get(problem, "the signature of {who} is not valid")
    return template.format(who=who)
