"""Documents tests: the shipped incoming and outgoing procedures and forms, the demo organisation, demo keys."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from engine.clock import VirtualClock
from engine.deployment.service import collect_sources
from engine.documents.demo import DemoKeys, demo_keys
from engine.services import Services, build_services
from engine.settings import Settings
from engine.signing.registry import CertificateRegistry
from tests.conftest import ROOT, _empty_tables

DEMO_ORG = ROOT / "engine" / "data" / "demo_org.yaml"
LEADERS = {"bithu": "Nguyễn Văn An", "chanhvp": "Trần Thị Bình"}


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> DemoKeys:
    """Demo keys for the agency and two leaders (one CA, made once per session)."""
    return demo_keys(tmp_path_factory.mktemp("demo-keys"), LEADERS)


@pytest.fixture
def doc_settings(settings: Settings, keys: DemoKeys) -> Settings:
    """The test settings with the shipped forms and the demo signing configuration."""
    return replace(settings, forms_dir=ROOT / "forms", signing=keys.signing)


@pytest.fixture
def docs(doc_settings: Settings, clock: VirtualClock, keys: DemoKeys) -> Iterator[Services]:
    """Services with the demo organisation, the incoming and outgoing procedures, the leaders' certificates."""
    built = build_services(doc_settings, clock=clock, verify_state=True)
    built.org.import_file(DEMO_ORG)
    built.deployment.deploy(collect_sources([ROOT / "processes" / "outgoing_document.bpmn",
                                             ROOT / "processes" / "incoming_document.bpmn"]))
    registry = CertificateRegistry(db=built.db, clock=clock)
    for user, cert in keys.certificates.items():
        registry.register(user, cert.read_bytes())
    yield built
    _empty_tables(built)
    built.close()


def home_of(services: Services) -> Path:
    """Where the services keep files."""
    return services.settings.home
