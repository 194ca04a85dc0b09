"""Password rules, changing one's own password, and one-time reset links (hashed, expiring, single use)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from engine.clock import VirtualClock
from engine.errors import InvalidInput, NotFound
from engine.org.accounts import BadCredentials
from engine.persistence.ops_models import PasswordReset
from engine.services import Services
from engine.settings import PasswordRules
from tests.conftest import FIXTURES


@pytest.fixture
def pw(services: Services) -> Services:
    services.accounts.hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    services.org.import_file(FIXTURES / "org.yaml")
    services.accounts.set_password("chuyenvien", "mat-khau-cu")
    return services


def test_rules_come_from_settings(pw: Services) -> None:
    pw.passwords.rules = replace(PasswordRules(), min_length=12, letters_and_digits=True)
    with pytest.raises(InvalidInput) as refused:
        pw.passwords.change("chuyenvien", "mat-khau-cu", "ngan")
    assert refused.value.fields == {"password": ["at least 12 characters", "at least one letter and one digit"]}
    pw.passwords.change("chuyenvien", "mat-khau-cu", "mat-khau-moi-2026")
    assert pw.accounts.authenticate("chuyenvien", "mat-khau-moi-2026").username == "chuyenvien"


def test_changing_needs_the_old_password(pw: Services) -> None:
    with pytest.raises(BadCredentials):
        pw.passwords.change("chuyenvien", "sai", "mat-khau-moi")
    pw.accounts.authenticate("chuyenvien", "mat-khau-cu")  # unchanged


def test_a_reset_link_works_once_until_it_expires(pw: Services, clock: VirtualClock) -> None:
    link = pw.passwords.issue_reset("chuyenvien", by="quantri")
    with pw.db.read() as session:
        stored = session.scalars(select(PasswordReset)).one()
        assert stored.token_hash != link.token and len(stored.token_hash) == 64  # only the hash is kept
    assert pw.passwords.reset_user(link.token) == "chuyenvien"
    with pytest.raises(InvalidInput):
        pw.passwords.redeem(link.token, "x")
    assert pw.passwords.redeem(link.token, "mat-khau-dat-lai") == "chuyenvien"
    pw.accounts.authenticate("chuyenvien", "mat-khau-dat-lai")
    with pytest.raises(NotFound):
        pw.passwords.redeem(link.token, "mat-khau-lan-hai")  # used
    late = pw.passwords.issue_reset("chuyenvien", by="quantri")
    clock.advance(timedelta(hours=25))
    with pytest.raises(NotFound):
        pw.passwords.reset_user(late.token)  # expired
    with pytest.raises(NotFound):
        pw.passwords.reset_user("made-up")


def test_a_new_link_cancels_the_old_and_deactivation_voids_it(pw: Services) -> None:
    first = pw.passwords.issue_reset("chuyenvien", by=None)
    second = pw.passwords.issue_reset("chuyenvien", by=None)
    with pytest.raises(NotFound):
        pw.passwords.reset_user(first.token)
    pw.departures.deactivate("chuyenvien", by=None)
    with pytest.raises(NotFound):
        pw.passwords.reset_user(second.token)
