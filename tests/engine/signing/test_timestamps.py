"""RFC 3161 timestamps: a local time-stamping authority over real HTTP (pyHanko's DummyTimeStamper behind
http.server), reached through the PROCFLOW_TSA_URL setting."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from asn1crypto import keys, tsp, x509
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from engine.settings import Settings
from engine.signing.demo_pki import DemoPKI
from engine.signing.keys import open_signer
from engine.signing.sign import SigningOptions, sign_as_person
from engine.signing.verify import Verifier
from tests.engine.signing.conftest import Images, People, p12


@pytest.fixture(scope="module")
def tsa_url(pki: DemoPKI) -> Iterator[str]:
    issued = pki.issue("tsa", "Procflow Test TSA", timestamping=True)
    stamper = DummyTimeStamper(
        tsa_cert=x509.Certificate.load(issued.cert.public_bytes(serialization.Encoding.DER)),
        tsa_key=keys.PrivateKeyInfo.load(issued.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            request = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            body = stamper.request_tsa_response(request).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/tsa"
    server.shutdown()
    server.server_close()


def test_the_tsa_setting_reaches_the_signer() -> None:
    settings = Settings.from_env({"PROCFLOW_TSA_URL": "http://tsa.example.vn/rfc3161"})
    stamper = SigningOptions(tsa_url=settings.signing.tsa_url).timestamper()
    assert isinstance(stamper, HTTPTimeStamper) and stamper.url == "http://tsa.example.vn/rfc3161"
    assert SigningOptions().timestamper() is None


def test_a_signature_made_with_a_tsa_is_timestamped_and_valid(tsa_url: str, prepared: bytes, people: People,
                                                              images: Images, verifier: Verifier) -> None:
    with open_signer(p12(people.an)) as signer:
        pdf = sign_as_person(prepared, signer, image=images.signature, options=SigningOptions(tsa_url=tsa_url))
    [result] = verifier.verify_pdf(pdf)
    assert result.timestamped and result.valid, result.problems
