"""Sending: an outgoing document issued to an agency of the directory is delivered once over HTTP, retried with
exponential backoff while the receiver fails, and the statuses the receiver sends back are kept."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from engine.clock import VirtualClock
from engine.documents.demo import DemoDocument, seed_outgoing_document
from engine.errors import NotFound
from engine.exchange.package import Organ, Package, ResponseFor, StatusPackage, build_status, parse
from engine.exchange.service import outbox
from engine.services import Services
from tests.engine.exchange.conftest import B

C = Organ("000.00.40.H37", "Sở Tài chính tỉnh Hà Giang")


class Receiver:
    """A loopback HTTP receiver answering each POST with the next planned status."""

    def __init__(self) -> None:
        self.answers: list[int] = []
        self.received: list[tuple[str, str, bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append((self.path, self.headers.get("Authorization", ""), body))
                code = outer.answers.pop(0) if outer.answers else 202
                payload = b'{"document_id": 5, "case_id": 9}' if code == 202 else b'{"detail": "no"}'
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v1/exchange"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.server.shutdown()
    found.server.server_close()


def _issue(agency: Services, recipients: str) -> int:
    who = DemoDocument(proposal={**DemoDocument().proposal, "noi_nhan": recipients})
    case = seed_outgoing_document(agency.runtime, agency.attachments, agency.queries, who)
    [row] = agency.documents.documents_of_case(case, "vanthu")
    return row.id


def test_an_issued_document_is_delivered_once_after_retries_with_backoff(agency: Services, receiver: Receiver,
                                                                        clock: VirtualClock) -> None:
    agency.directory.save(C.code, name=C.name, endpoint=receiver.url, token="token-from-c")
    document_id = _issue(agency, f"{C.name};\nLưu: VT.")
    [delivery] = agency.exchange.deliveries_of(document_id)
    assert (delivery.kind, delivery.agency_code, delivery.state) == ("package", C.code, "pending")
    assert agency.exchange.due() == [delivery.id]

    receiver.answers = [503, 503]
    assert agency.exchange.deliver(delivery.id) == "pending"  # down: first pause 1 s
    assert agency.exchange.next_attempt(delivery.id) == clock.now() + timedelta(seconds=1)
    assert agency.exchange.deliver(delivery.id) == "skipped"  # not due yet
    clock.advance(timedelta(seconds=1))
    assert agency.exchange.deliver(delivery.id) == "pending"  # still down: the pause doubles
    assert agency.exchange.next_attempt(delivery.id) == clock.now() + timedelta(seconds=2)
    clock.advance(timedelta(seconds=2))
    assert agency.exchange.deliver(delivery.id) == "delivered"
    assert agency.exchange.deliver(delivery.id) == "skipped"  # never twice
    assert agency.exchange.due() == []

    assert len(receiver.received) == 3 and len({body for _, _, body in receiver.received}) == 1  # the same bytes
    path, authorization, body = receiver.received[-1]
    assert path == "/api/v1/exchange/edxml" and authorization == "Bearer token-from-c"
    package = parse(body)
    assert isinstance(package, Package)
    assert package.sender == Organ(B.code, B.name) and package.recipients == [Organ(C.code, C.name)]
    assert (package.number, package.notation, package.type_name) == ("01", "BC/TU", "Báo cáo")
    assert package.document_id == f"{B.code}.{document_id}"
    [main] = package.attachments
    signatures = agency.exchange.verify(main.content)  # type: ignore[misc]
    assert [s["role"] for s in signatures] == ["competent_person", "agency"] and all(s["valid"] for s in signatures)
    [done] = agency.exchange.deliveries_of(document_id)
    assert (done.state, done.attempts, done.last_error) == ("delivered", 3, None)


def test_a_refusal_by_the_receiver_stops_the_retries(agency: Services, receiver: Receiver) -> None:
    agency.directory.save(C.code, name=C.name, endpoint=receiver.url, token="t")
    document_id = _issue(agency, C.code)  # recipients may name the agency by its code
    [delivery] = agency.exchange.deliveries_of(document_id)
    receiver.answers = [422]
    assert agency.exchange.deliver(delivery.id) == "failed"
    assert agency.exchange.due() == []
    [failed] = agency.exchange.deliveries_of(document_id)
    assert failed.last_error == "422: no"
    # an operator sends it again once the problem is solved
    assert agency.exchange.send_document(document_id, C.code) == delivery.id
    assert agency.exchange.deliver(delivery.id) == "delivered"


def test_a_lost_answer_is_recognised_by_the_receivers_409(agency: Services, receiver: Receiver) -> None:
    agency.directory.save(C.code, name=C.name, endpoint=receiver.url, token="t")
    document_id = _issue(agency, C.name)
    [delivery] = agency.exchange.deliveries_of(document_id)
    receiver.answers = [409]
    assert agency.exchange.deliver(delivery.id) == "delivered"


def test_recipients_outside_the_directory_get_no_delivery(agency: Services) -> None:
    document_id = _issue(agency, "Ban Thường vụ Tỉnh ủy; Lưu Văn phòng Tỉnh ủy.")
    assert agency.exchange.deliveries_of(document_id) == []
    with pytest.raises(NotFound):
        agency.exchange.send_document(document_id, C.code)


def test_statuses_sent_back_are_kept_once(agency: Services, receiver: Receiver) -> None:
    agency.directory.save(C.code, name=C.name, endpoint=receiver.url, token="t")
    document_id = _issue(agency, C.name)
    edxml_id = f"{B.code}.{document_id}"
    at = datetime(2026, 4, 29, 3, 0, tzinfo=UTC)
    status = StatusPackage(ResponseFor(B.code, edxml_id), C, "04", at, "Đã phân công", staff="Lê Văn Cường")
    first = agency.exchange.receive(build_status(status), user="vanthu")
    again = agency.exchange.receive(build_status(status), user="vanthu")
    assert first.status_id == again.status_id and first.document_id == document_id
    [kept] = agency.exchange.statuses_of(document_id)
    assert (kept.agency_code, kept.status_code, kept.status_name, kept.staff, kept.at) == (
        C.code, "04", "đã phân công", "Lê Văn Cường", at)
    with pytest.raises(NotFound):  # a status about a document never sent to C
        agency.exchange.receive(build_status(StatusPackage(ResponseFor(B.code, "nope"), C, "01", at)), user="vanthu")


def test_a_worker_killed_mid_delivery_leaves_it_to_the_sweep(agency: Services, receiver: Receiver,
                                                            clock: VirtualClock) -> None:
    agency.directory.save(C.code, name=C.name, endpoint=receiver.url, token="t")
    document_id = _issue(agency, C.name)
    [delivery] = agency.exchange.deliveries_of(document_id)
    with agency.db.transaction() as conn:  # claimed by a worker that died
        conn.execute(outbox.update().values(state="sending", claimed_at=clock.now()))
    assert agency.exchange.due() == []
    clock.advance(timedelta(minutes=11))
    assert agency.exchange.due() == [delivery.id]
    with agency.db.connect() as conn:
        assert conn.execute(select(outbox.c.state)).scalar() == "pending"
