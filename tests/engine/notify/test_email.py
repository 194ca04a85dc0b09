"""Notifications are e-mailed through a real (local) SMTP server when one is configured."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from sqlalchemy import select

from engine.clock import VirtualClock
from engine.deployment.service import collect_sources
from engine.persistence.models import Notification
from engine.services import Services, build_services
from engine.settings import Settings
from tests.conftest import FIXTURES


class Inbox(Message):
    """Keeps every message the SMTP server receives."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list = []

    def handle_message(self, message) -> None:  # type: ignore[no-untyped-def]
        self.messages.append(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture
def mailing(services: Services, settings: Settings, clock: VirtualClock, smtp) -> Iterator[Services]:
    built = build_services(replace(settings, smtp_host="127.0.0.1", smtp_port=smtp[1],
                                   smtp_from="vanthu@tinhuy.vn"), clock=clock, verify_state=True)
    yield built
    built.close()


def test_a_reminder_reaches_the_candidates_mailbox(mailing: Services, clock: VirtualClock, smtp) -> None:
    inbox, _ = smtp
    org = {"units": [{"code": "VP", "name": "Văn phòng", "head": "chanhvp"}],
           "groups": [{"code": "chuyen_vien", "name": "Chuyên viên"}],
           "users": [{"username": "chuyenvien", "full_name": "Hoàng Văn Viên", "email": "vien@tinhuy.vn",
                      "unit": "VP", "groups": ["chuyen_vien"]},
                     {"username": "nomail", "full_name": "Không Thư", "unit": "VP", "groups": ["chuyen_vien"]},
                     {"username": "chanhvp", "full_name": "Trần Thị Chánh", "unit": "VP"}]}
    mailing.org.import_structure(org)
    mailing.deployment.deploy(collect_sources([FIXTURES / "deadlines.bpmn"]))
    mailing.runtime.start("deadlines", data={"urgency": "thuong"}, user="chanhvp")
    clock.set(datetime.fromisoformat("2026-05-04T16:30:00+07:00").astimezone(UTC))
    assert mailing.timers.fire_due() == 1
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert str(make_header(decode_header(message["To"]))) == "Hoàng Văn Viên <vien@tinhuy.vn>"
    assert message["From"] == "vanthu@tinhuy.vn"
    assert "Xử lý văn bản" in message.get_payload(decode=True).decode()
    with mailing.db.read() as session:
        sent = {n.username: n.emailed_at for n in session.scalars(select(Notification))}
    assert sent == {"chuyenvien": clock.now(), "nomail": None}  # no address: shown in the inbox only


def test_each_recipient_is_mailed_in_their_own_language(mailing: Services, clock: VirtualClock, smtp) -> None:
    inbox, _ = smtp
    org = {"units": [{"code": "VP", "name": "Văn phòng", "head": "chanhvp"}],
           "groups": [{"code": "chuyen_vien", "name": "Chuyên viên"}],
           "users": [{"username": "chuyenvien", "full_name": "Hoàng Văn Viên", "email": "vien@tinhuy.vn",
                      "unit": "VP", "groups": ["chuyen_vien"]},
                     {"username": "expert", "full_name": "Anna Expert", "email": "anna@tinhuy.vn", "unit": "VP",
                      "groups": ["chuyen_vien"], "language": "en"},
                     {"username": "chanhvp", "full_name": "Trần Thị Chánh", "unit": "VP"}]}
    mailing.org.import_structure(org)
    mailing.deployment.deploy(collect_sources([FIXTURES / "deadlines.bpmn"]))
    case = mailing.runtime.start("deadlines", data={"urgency": "thuong"}, user="chanhvp")
    clock.set(datetime.fromisoformat("2026-05-04T16:30:00+07:00").astimezone(UTC))
    assert mailing.timers.fire_due() == 1
    mails = {str(make_header(decode_header(m["To"]))): m for m in inbox.messages}
    vi, en = mails["Hoàng Văn Viên <vien@tinhuy.vn>"], mails["Anna Expert <anna@tinhuy.vn>"]
    assert str(make_header(decode_header(vi["Subject"]))) == "[procflow] Nhắc việc sắp đến hạn"
    assert str(make_header(decode_header(en["Subject"]))) == "[procflow] Task due soon"
    vi_body, en_body = (m.get_payload(decode=True).decode() for m in (vi, en))
    assert f"(hồ sơ #{case}) đến hạn lúc " in vi_body and "case #" not in vi_body
    assert f"(case #{case}) is due at " in en_body and "hồ sơ" not in en_body
