"""End-to-end fixtures: the real web app served over HTTP on the test database, and Debian's Chromium driven by
Playwright (the Python package; Playwright's own browser download is not used).

The app runs in a background thread of the test process (Werkzeug's threaded server, as in ``procflow run``) on
the services of ``tests/conftest.py``: the same database, and the same virtual clock, which the test moves to
make deadlines come. Timers are fired by the timer service, as a worker does when they fall due.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from engine.cases.attachments import Upload
from engine.clock import VirtualClock
from engine.deployment.service import collect_sources
from engine.services import Services
from engine.signing.sample import sample_document
from tests.conftest import ROOT
from web import create_app

# A loaded CI machine (two suites, other work, 2 cores) can take seconds to answer a click: waits end as soon as the
# condition holds, so a generous bound costs a passing test nothing and a failing one only time.
expect.set_options(timeout=20_000)

# Debian's Chromium (`apt-get install chromium`; .ci/run installs it). PROCFLOW_E2E_CHROMIUM may name another.
CHROMIUM = os.environ.get("PROCFLOW_E2E_CHROMIUM", "/usr/bin/chromium")
# Headless, and nothing that phones home: on a closed network Chromium's own connections are refused.
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 900}
PASSWORD = "mat-khau-e2e"
# The demo organisation's people who carry an incoming document (engine/data/demo_org.yaml).
USERS = ("vanthu", "chanhvp", "truongphong_th", "truongphong_hc", "chuyenvien1")


class _QuietHandler(WSGIRequestHandler):
    """Werkzeug's request handler without a log line per request (errors are still logged)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@dataclass
class LiveApp:
    """The running web app: its address, the services behind it and the clock they share."""

    url: str
    services: Services
    clock: VirtualClock


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as started:
        yield started


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless; a clear failure (not a skip) when it is missing."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"the end-to-end tests need Chromium at {CHROMIUM}: install it with "
                    "`apt-get install chromium` (.ci/run does), or set PROCFLOW_E2E_CHROMIUM to its path",
                    pytrace=False)
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture
def live_app(services: Services, clock: VirtualClock, translations: Path) -> Iterator[LiveApp]:
    """What `procflow run` sets up (demo organisation, processes/ and forms/ deployed), served on a free port."""
    services.org.import_file(ROOT / "engine" / "data" / "demo_org.yaml")
    services.deployment.deploy(collect_sources([ROOT / "processes", ROOT / "forms"]))
    services.accounts.hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # fast, as in tests/web
    for username in USERS:
        services.accounts.set_password(username, PASSWORD)
    # The scenarios move the virtual clock days ahead while the browsers stay signed in: sessions outlive that.
    services.accounts.sessions.idle = services.accounts.sessions.lifetime = timedelta(days=400)
    app = create_app({"PROCFLOW_SERVICES": services, "SECRET_KEY": "e2e-secret",
                      "BABEL_TRANSLATION_DIRECTORIES": str(translations)})
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="procflow-e2e-web", daemon=True)
    thread.start()
    try:
        yield LiveApp(url=f"http://127.0.0.1:{server.server_port}", services=services, clock=clock)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def open_session(browser: Browser, live_app: LiveApp) -> Iterator[object]:
    """``open_session(username)``: a signed-in page in the user's own browser context (own cookies)."""
    contexts: list[BrowserContext] = []

    def sign_in(username: str) -> Page:
        context = browser.new_context(base_url=live_app.url, viewport=VIEWPORT, locale="vi-VN",
                                      timezone_id="Asia/Ho_Chi_Minh")
        context.set_default_timeout(30_000)
        contexts.append(context)
        page = context.new_page()
        page.goto("/login")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_selector("#logout-button")
        return page

    yield sign_in
    for context in contexts:
        context.close()


def register_invitation(services: Services) -> int:
    """An urgent invitation registered by the clerk with its PDF (the incoming procedure): waits for a leader."""
    return services.starter.start("incoming_document", user="vanthu", files={
        "tep_van_ban": [Upload("giay-moi-88.pdf", io.BytesIO(sample_document().pdf))]}, data={
        "so_ky_hieu": "88/SNV-VP", "ngay_ban_hanh": "2026-04-28", "ngay_den": "2026-04-29",
        "co_quan_ban_hanh": "Sở Nội vụ", "loai_van_ban": "giay_moi",
        "trich_yeu": "Mời dự hội nghị triển khai công tác cải cách hành chính năm 2026",
        "hinh_thuc_nhan": "dien_tu", "do_khan": "khan", "do_mat": "thuong", "so_trang": 2,
        "da_kiem_tra_xac_thuc": True, "ghi_chu_tiep_nhan": ""})
