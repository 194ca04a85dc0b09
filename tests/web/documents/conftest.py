"""The documents pages on the demo organisation, the shipped procedures and forms, and demo signing keys."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from engine.clock import VirtualClock
from engine.deployment.service import collect_sources
from engine.documents.demo import DemoKeys, demo_keys
from engine.services import Services, build_services
from engine.settings import Settings
from engine.signing.registry import CertificateRegistry
from tests.conftest import ROOT, _empty_tables
from tests.web.conftest import PASSWORD, Auth
from web import create_app

DEMO_ORG = ROOT / "engine" / "data" / "demo_org.yaml"
USERS = ("bithu", "chanhvp", "truongphong_th", "chuyenvien1", "chuyenvien2", "vanthu", "quantri")


@pytest.fixture(scope="session")
def web_keys(tmp_path_factory: pytest.TempPathFactory) -> DemoKeys:
    return demo_keys(tmp_path_factory.mktemp("web-keys"), {"bithu": "Nguyễn Văn An"})


@pytest.fixture
def doc_services(settings: Settings, clock: VirtualClock, web_keys: DemoKeys) -> Iterator[Services]:
    """Services with the demo organisation (passwords set), both document procedures, bithu's certificate."""
    ours = replace(settings, forms_dir=ROOT / "forms", signing=web_keys.signing)
    built = build_services(ours, clock=clock, verify_state=True)
    built.accounts.hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    built.org.import_file(DEMO_ORG)
    built.deployment.deploy(collect_sources([ROOT / "processes" / "outgoing_document.bpmn",
                                             ROOT / "processes" / "incoming_document.bpmn"]))
    CertificateRegistry(db=built.db, clock=clock).register("bithu", web_keys.certificates["bithu"].read_bytes())
    for username in USERS:
        built.accounts.set_password(username, PASSWORD)
    yield built
    _empty_tables(built)
    built.close()


@pytest.fixture
def doc_app(doc_services: Services, translations: Path) -> Flask:
    return create_app({"TESTING": True, "PROCFLOW_SERVICES": doc_services, "SECRET_KEY": "test-secret",
                       "BABEL_TRANSLATION_DIRECTORIES": str(translations)})


@pytest.fixture
def doc_client(doc_app: Flask) -> FlaskClient:
    return doc_app.test_client()


@pytest.fixture
def doc_auth(doc_client: FlaskClient) -> Auth:
    return Auth(doc_client)
