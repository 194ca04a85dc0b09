"""The demo's signing keys and its signed document: so that a newcomer running ``procflow run`` on an empty
database sees an outgoing document issued with both signatures (docs/documents.md).

The keys come from a throwaway CA (engine/signing/demo_pki.py) made under the embedded home; never use them for
real documents.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.cases.attachments import AttachmentService
from engine.settings import KeySpec, SigningSettings

# fontTools reports each table it cannot subset (FFTM ...) on every PDF fpdf2 writes; nothing is wrong.
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)
DEMO_AGENCY = "Văn phòng Tỉnh ủy Hà Giang"
DEMO_PLACE = "Hà Giang"


@dataclass(frozen=True)
class DemoKeys:
    """What the demo's signing needs: the signing settings, and each person's certificate to register."""

    signing: SigningSettings
    certificates: dict[str, Path] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        """The same settings as environment variables (for a shell, or a later start)."""
        s = self.signing
        assert s.agency_key is not None and s.agency_seal is not None
        return {"PROCFLOW_AGENCY_NAME": s.agency_name, "PROCFLOW_AGENCY_PLACE": s.place,
                "PROCFLOW_AGENCY_P12": str(s.agency_key.path), "PROCFLOW_AGENCY_PIN": s.agency_key.secret,
                "PROCFLOW_AGENCY_SEAL": str(s.agency_seal),
                "PROCFLOW_TRUST_ROOTS": ":".join(str(p) for p in s.trust_roots),
                "PROCFLOW_INTERMEDIATE_CERTS": ":".join(str(p) for p in s.intermediates),
                "PROCFLOW_SIGNING_KEYS": str(s.person_keys)}


def demo_keys(folder: Path, people: dict[str, str], *, agency: str = DEMO_AGENCY, place: str = DEMO_PLACE,
              ) -> DemoKeys:
    """Make (once; reuse what ``folder`` already holds) a demo CA, the agency's key and seal, and a key and a
    signature image for each of ``people`` (username -> full name), with the keys file naming them.

    Args:
        folder: where the keys go (e.g. ``<home>/demo-keys``).
        people: the leaders who sign (username -> full name).
    """
    from engine.signing.demo_pki import PASSPHRASE, DemoPKI
    from engine.signing.sample import sample_image

    keys_file = folder / "signing_keys.toml"
    if not keys_file.is_file():
        pki = DemoPKI(folder, label="procflow demo")
        pki.issue("agency", agency, organisation=agency)
        (folder / "passphrase").write_text(PASSPHRASE, encoding="utf-8")
        sample_image(folder / "seal.png", color=(220, 30, 30), text="VP TU", size=(300, 300), round_seal=True)
        entries = []
        for username, name in people.items():
            pki.issue(username, name, organisation=agency)
            sample_image(folder / f"{username}-signature.png", color=(20, 40, 200), text=name)
            entries.append(f'[{username}]\np12 = "{username}.p12"\npassphrase_file = "passphrase"\n'
                           f'image = "{username}-signature.png"\n')
        keys_file.write_text("# Demo keys made by procflow run: never for real documents.\n\n" + "\n".join(entries),
                             encoding="utf-8")
    signing = SigningSettings(
        agency_name=agency, place=place, agency_seal=folder / "seal.png",
        agency_key=KeySpec("pkcs12", folder / "agency.p12", (folder / "passphrase").read_text(encoding="utf-8")),
        trust_roots=(folder / "root.cert.pem",), intermediates=(folder / "intermediate.cert.pem",),
        person_keys=keys_file)
    return DemoKeys(signing, {u: folder / f"{u}.cert.pem" for u in people if (folder / f"{u}.cert.pem").is_file()})


@dataclass(frozen=True)
class DemoDocument:
    """Who does what in the demo's outgoing document."""

    drafter: str = "chuyenvien1"
    head: str = "truongphong_th"
    clerk: str = "vanthu"
    signer: str = "bithu"
    proposal: dict[str, Any] = field(default_factory=lambda: {
        "loai_van_ban": "bao_cao", "he_thong_van_ban": "dang", "do_khan": "thuong", "do_mat": "thuong",
        "trich_yeu": "Báo cáo kết quả thực hiện chuyển đổi số quý I năm 2026",
        "noi_nhan": "Ban Thường vụ Tỉnh ủy; Lưu Văn phòng Tỉnh ủy.",
        "can_cu_soan_thao": "Theo chương trình công tác năm 2026."})


def seed_outgoing_document(runtime: Any, attachments: AttachmentService, queries: Any,
                           who: DemoDocument = DemoDocument()) -> int:  # noqa: B008 - frozen
    """Run the shipped outgoing procedure from proposal to issue: drafted, reviewed, checked, signed by the
    competent person with their key, numbered and signed by the agency. Returns the case's id.

    Args:
        runtime: the runtime, with the document hook registered (engine/services.py).
        attachments: stores the draft PDF as the case's attachment.
        queries: finds the open tasks (engine.cases.queries.Queries).
    """
    from engine.signing.sample import sample_document

    case = runtime.start("outgoing_document", data=dict(who.proposal), user=who.drafter)
    pdf = sample_document(title="BÁO CÁO", agency="TỈNH ỦY HÀ GIANG", signer="Nguyễn Văn An").pdf
    draft = attachments.add(case, who.drafter, "bao-cao-chuyen-doi-so.pdf", io.BytesIO(pdf)).file_value()
    steps = [("draft_document", who.drafter, {"ky_hieu": "BC/TU", "tep_du_thao": draft, "tai_lieu_kem_theo": [],
                                              "giai_trinh": ""}),
             ("head_review", who.head, {"ket_luan_truong_phong": "dong_y", "y_kien_truong_phong": "Đồng ý trình ký."}),
             ("legal_check", who.clerk, {"dung_the_thuc": True, "dung_tham_quyen": True, "ket_qua_kiem_tra": "dat",
                                         "y_kien_kiem_tra": ""}),
             ("sign_document", who.signer, {"quyet_dinh_ky": "ky", "tham_quyen_ky": "thay_mat",
                                            "y_kien_lanh_dao": ""}),
             ("issue_document", who.clerk, {"da_kiem_tra_chu_ky": True, "da_ky_so_co_quan": True,
                                            "phuong_thuc_gui": ["lien_thong"]})]
    for element, user, data in steps:
        task = next(t for t in queries.tasks(instance_id=case) if t.element_id == element)
        runtime.complete_task(task.id, user=user, data=data)
    return int(case)


def leaders_of(org_file: Path, group: str = "lanh_dao") -> dict[str, str]:
    """The members of ``group`` in an organisation file (username -> full name): the demo's signers."""
    import yaml

    data = yaml.safe_load(org_file.read_text(encoding="utf-8")) or {}
    return {u["username"]: u.get("full_name") or u["username"] for u in data.get("users") or []
            if group in (u.get("groups") or [])}


def seed_demo(runtime: Any, attachments: AttachmentService, queries: Any, keys: DemoKeys) -> int:
    """Register the demo signers' certificates and issue the demo's outgoing document; return its case's id."""
    from engine.documents import signing  # noqa: F401 - imports pyHanko quietly first
    from engine.signing.registry import CertificateRegistry

    registry = CertificateRegistry(db=runtime.db, clock=runtime.clock)
    for username, cert in keys.certificates.items():
        if registry.owner_of(_fingerprint(cert)) is None:
            registry.register(username, cert.read_bytes())
    return seed_outgoing_document(runtime, attachments, queries)


def _fingerprint(cert_pem: Path) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    return x509.load_pem_x509_certificate(cert_pem.read_bytes()).fingerprint(hashes.SHA256()).hex()
