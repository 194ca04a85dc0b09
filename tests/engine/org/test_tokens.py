"""API tokens: the secret is shown once and stored only as its SHA-256; revoked tokens and inactive users fail."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select, update

from engine.errors import Conflict, InvalidInput, NotFound
from engine.org.tokens import parse_scopes
from engine.persistence.models import User
from engine.persistence.token_models import ApiToken
from engine.services import Services
from tests.conftest import FIXTURES


@pytest.fixture
def org(services: Services) -> Services:
    services.org.import_file(FIXTURES / "org.yaml")
    return services


def test_a_token_is_stored_as_the_sha256_of_its_secret_and_speaks_for_its_user(org: Services) -> None:
    secret = org.tokens.create("tich_hop", frozenset({"cases", "tasks"}), "chuyenvien")
    with org.db.read() as session:
        stored = session.execute(select(ApiToken.hash, ApiToken.name, ApiToken.scopes)).one()
    assert stored.hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in (stored.hash, stored.name, stored.scopes)
    bearer = org.tokens.check(secret)
    assert bearer is not None and bearer.username == "chuyenvien"
    assert bearer.allows("cases") and bearer.allows("tasks") and not bearer.allows("admin")
    assert org.tokens.list()[0].last_used_at is not None


def test_unknown_revoked_and_inactive_user_tokens_do_not_work(org: Services) -> None:
    secret = org.tokens.create("a", frozenset({"all"}), "chuyenvien")
    other = org.tokens.create("b", frozenset({"all"}), "vanthu")
    assert org.tokens.check(secret + "x") is None and org.tokens.check("") is None
    org.tokens.revoke("a")
    assert org.tokens.check(secret) is None
    assert org.tokens.list()[0].revoked_at is not None
    with org.db.write() as session:
        session.execute(update(User).where(User.username == "vanthu").values(active=False))
    assert org.tokens.check(other) is None


def test_names_scopes_and_users_are_checked(org: Services) -> None:
    org.tokens.create("a", frozenset({"cases"}), "chuyenvien")
    with pytest.raises(Conflict):
        org.tokens.create("a", frozenset({"cases"}), "chuyenvien")
    with pytest.raises(NotFound):
        org.tokens.create("b", frozenset({"cases"}), "nobody")
    with pytest.raises(InvalidInput):
        org.tokens.create(" ", frozenset({"cases"}), "chuyenvien")
    with pytest.raises(InvalidInput):
        parse_scopes("cases,everything")
    with pytest.raises(NotFound):
        org.tokens.revoke("missing")
    assert parse_scopes("cases, tasks") == {"cases", "tasks"}
