"""API tests: the web app of tests/web/conftest.py (and the documents' one), and tokens for its users."""

from __future__ import annotations

import pytest

from engine.services import Services
from tests.web.documents.conftest import doc_app, doc_client, doc_services, web_keys  # noqa: F401 - the documents'


class Tokens:
    """Creates tokens and gives their Authorization headers."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.count = 0

    def header(self, user: str = "chuyenvien", scopes: str = "all") -> dict[str, str]:
        self.count += 1
        secret = self.services.tokens.create(f"t{self.count}-{user}", frozenset(scopes.split(",")), user)
        return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def tokens(web_services: Services) -> Tokens:
    return Tokens(web_services)
