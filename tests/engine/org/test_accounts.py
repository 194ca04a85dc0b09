"""Sign-in on the real database: the throttle per client under a concurrent burst, equal timing for every
refusal, and sessions that end."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import update

from engine.clock import VirtualClock
from engine.org.accounts import BadCredentials, TooManyAttempts
from engine.persistence.models import User
from engine.services import Services, build_services
from engine.settings import Settings
from tests.conftest import FIXTURES

PASSWORD = "mat-khau-dung"


class CountingHasher(PasswordHasher):
    """A real argon2 hasher that counts its verifications (how many passwords were checked)."""

    def __init__(self, **kwargs: int) -> None:
        super().__init__(**kwargs)
        self.checks = 0
        self._lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # noqa: A002 - argon2's own name
        with self._lock:
            self.checks += 1
        return super().verify(hash, password)


@pytest.fixture
def org(services: Services) -> Services:
    services.accounts.hasher = CountingHasher(time_cost=1, memory_cost=1024, parallelism=1)
    services.org.import_file(FIXTURES / "org.yaml")
    for username in ("bithu", "chanhvp"):
        services.accounts.set_password(username, PASSWORD)
    return services


def test_a_concurrent_burst_gets_at_most_the_allowed_password_checks(org: Services, settings: Settings,
                                                                      clock: VirtualClock) -> None:
    hasher = org.accounts.hasher
    assert isinstance(hasher, CountingHasher)
    hasher.checks = 0
    others = [build_services(settings, clock=clock) for _ in range(4)]  # several connections, as several workers
    for other in others:
        other.accounts.hasher = hasher
    outcomes: list[str] = []
    start = threading.Barrier(60)

    def attempt(n: int) -> None:
        accounts = others[n % len(others)].accounts
        start.wait()
        try:
            accounts.authenticate("chanhvp", f"doan-{n}", client="203.0.113.9")
        except TooManyAttempts:
            outcomes.append("429")
        except BadCredentials:
            outcomes.append("401")
        except Exception as exc:  # noqa: BLE001 - the test reports any other failure
            outcomes.append(repr(exc))

    try:
        threads = [threading.Thread(target=attempt, args=(n,)) for n in range(60)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for other in others:
            other.close()
    assert sorted(set(outcomes)) == ["401", "429"], outcomes
    assert outcomes.count("401") == hasher.checks == 5
    assert org.accounts.authenticate("chanhvp", PASSWORD, client="192.0.2.1").username == "chanhvp"


def test_an_address_spraying_many_names_is_refused(org: Services) -> None:
    org.accounts.throttle.max_address_failures = 8
    names = ["bithu", "chanhvp", "vanthu", "ghost1", "ghost2", "ghost3", "ghost4", "ghost5"]
    for name in names:
        with pytest.raises(BadCredentials):
            org.accounts.authenticate(name, "sai", client="203.0.113.9")
    with pytest.raises(TooManyAttempts):
        org.accounts.authenticate("truongphong", "sai", client="203.0.113.9")
    assert org.accounts.authenticate("bithu", PASSWORD, client="192.0.2.1").username == "bithu"


def _medians(calls: list[Callable[[], object]], rounds: int = 21) -> list[float]:
    """Each call's median time, the calls interleaved round by round so that the machine's load hits all alike."""
    times: list[list[float]] = [[] for _ in calls]
    for _ in range(rounds):
        for call, spent in zip(calls, times, strict=True):
            began = time.perf_counter()
            with pytest.raises(BadCredentials):
                call()
            spent.append(time.perf_counter() - began)
    return [statistics.median(spent) for spent in times]


def test_unknown_inactive_and_wrong_password_take_the_same_time(org: Services) -> None:
    org.accounts.hasher = PasswordHasher(time_cost=2, memory_cost=32 * 1024, parallelism=1)  # verify dominates
    org.accounts.throttle.max_failures = org.accounts.throttle.max_address_failures = 10_000
    org.accounts.set_password("chanhvp", PASSWORD)
    org.accounts.set_password("bithu", PASSWORD)
    with org.db.transaction() as conn:
        conn.execute(update(User).where(User.username == "bithu").values(active=False))
    wrong, unknown, inactive = _medians([lambda: org.accounts.authenticate("chanhvp", "sai", client="a"),
                                         lambda: org.accounts.authenticate("khong_co_ai", "sai", client="b"),
                                         lambda: org.accounts.authenticate("bithu", PASSWORD, client="c")])
    assert wrong > 0.005, wrong  # the verification is what is measured
    for other in (unknown, inactive):
        assert abs(other - wrong) < 0.35 * wrong, (wrong, unknown, inactive)


def test_sessions_end_on_sign_out_new_password_deactivation_idle_and_age(org: Services,
                                                                          clock: VirtualClock) -> None:
    sessions = org.accounts.sessions
    first, second = sessions.start("chanhvp"), sessions.start("chanhvp")
    assert sessions.user_of(first) == sessions.user_of(second) == "chanhvp"
    sessions.end(first)
    assert sessions.user_of(first) is None and sessions.user_of(second) == "chanhvp"
    org.accounts.set_password("chanhvp", "mat-khau-moi-2026")
    assert sessions.user_of(second) is None
    third = sessions.start("bithu")
    with org.db.transaction() as conn:
        conn.execute(update(User).where(User.username == "bithu").values(active=False))
    assert sessions.user_of(third) is None
    with org.db.transaction() as conn:
        conn.execute(update(User).where(User.username == "bithu").values(active=True))
    assert sessions.user_of(third) is None  # ended for good, not just while inactive
    idle = sessions.start("bithu")
    clock.advance(sessions.idle + timedelta(seconds=1))
    assert sessions.user_of(idle) is None
    assert sessions.user_of("") is None and sessions.user_of("x" * 10_000) is None
