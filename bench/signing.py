"""PDF signatures per second on a 10-page document, with a PKCS#12 key and with a SoftHSM2 token, and
verifications per second of the issued document (person + agency signatures, number and date filled).

The keys come from a throwaway CA made at start (engine/signing/demo_pki.py); the token is a fresh SoftHSM2
token in a temporary folder. Each signature is the competent person's visible certifying signature on the
prepared document (image, DocMDP, PAdES), written to memory.

Run: python -m bench.signing [--signatures 30] [--verifications 30]
Last line: JSON with pkcs12_per_s, softhsm_per_s, verify_per_s.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

warnings.filterwarnings("ignore", message="DSA is deprecated")  # pyHanko imports cryptography's DSA module

from engine.settings import KeySpec  # noqa: E402
from engine.signing.demo_pki import PASSPHRASE, DemoPKI, softhsm_module, softhsm_token  # noqa: E402
from engine.signing.keys import open_signer  # noqa: E402
from engine.signing.prepare import DATE_FIELD, NUMBER_FIELD, DocumentLayout, prepare_document  # noqa: E402
from engine.signing.sample import sample_document, sample_image  # noqa: E402
from engine.signing.sign import fill_fields, sign_as_agency, sign_as_person  # noqa: E402
from engine.signing.verify import Verifier  # noqa: E402

PAGES = 10


def rate(work: Callable[[], object], count: int) -> float:
    """Calls per second of ``work``, after one warm-up call."""
    work()
    start = time.perf_counter()
    for _ in range(count):
        work()
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--signatures", type=int, default=30)
    parser.add_argument("--verifications", type=int, default=30)
    args = parser.parse_args()
    logging.getLogger("fontTools").setLevel(logging.ERROR)  # "FFTM NOT subset" on every embedded font
    folder = Path(tempfile.mkdtemp(prefix="bench-signing-"))
    pki = DemoPKI(folder / "pki")
    person, agency = pki.issue("an", "Nguyễn Văn An"), pki.issue("agency", "UBND tỉnh Hà Giang")
    module = softhsm_module()
    if module is None:
        raise SystemExit("softhsm2 is not installed (apt-get install softhsm2)")
    softhsm_token(folder / "softhsm", person, label="bench", pin="5678")
    doc = sample_document(pages=PAGES)
    prepared = prepare_document(doc.pdf, DocumentLayout(doc.number, doc.date, doc.signing_place))
    image = sample_image(folder / "sig.png", color=(0, 0, 200), text="An")
    seal = sample_image(folder / "seal.png", color=(220, 0, 0), text="UBND", size=(300, 300), round_seal=True)

    with open_signer(KeySpec("pkcs12", person.p12, PASSPHRASE)) as signer:
        pkcs12_rate = rate(lambda: sign_as_person(prepared, signer, image=image), args.signatures)
    with open_signer(KeySpec("pkcs11", module, "5678", token_label="bench", key_label="an")) as signer:
        softhsm_rate = rate(lambda: sign_as_person(prepared, signer, image=image), args.signatures)
        issued = fill_fields(sign_as_person(prepared, signer, image=image),
                             {NUMBER_FIELD: "Số: 12/QĐ-UBND", DATE_FIELD: "Hà Giang, ngày 05 tháng 3 năm 2025"})
    with open_signer(KeySpec("pkcs12", agency.p12, PASSPHRASE)) as signer:
        issued = sign_as_agency(issued, signer, seal=seal, agency_name="UBND tỉnh Hà Giang")
    verifier = Verifier.from_paths((pki.root_pem,), intermediates=(pki.intermediate_pem,))
    assert all(r.valid for r in verifier.verify_pdf(issued))
    verify_rate = rate(lambda: verifier.verify_pdf(issued), args.verifications)

    print(f"{PAGES}-page PDF, {len(prepared) // 1024} kB; issued with two signatures: {len(issued) // 1024} kB")
    print(f"sign (PKCS#12, RSA 2048):   {pkcs12_rate:6.1f} signatures/s")
    print(f"sign (SoftHSM2, RSA 2048):  {softhsm_rate:6.1f} signatures/s")
    print(f"verify (2 signatures each): {verify_rate:6.1f} documents/s")
    print(json.dumps({"pages": PAGES, "pkcs12_per_s": round(pkcs12_rate, 2), "softhsm_per_s": round(softhsm_rate, 2),
                      "verify_per_s": round(verify_rate, 2)}))


if __name__ == "__main__":
    main()
