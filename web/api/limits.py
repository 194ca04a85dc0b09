"""Rate limits per API token: at most ``limit`` calls in any ``window`` seconds, counted in the app's Redis (so every
gunicorn worker and every web server counts together), or in this process when the app has no Redis.

The count is a sliding window estimated from two fixed ones (the current window's calls plus the previous window's,
weighted by how much of it still lies within the last ``window`` seconds): two Redis commands per call, no list of
timestamps, and no burst of twice the limit at a window's edge. A refused call is not counted. When Redis cannot be
reached the call is let through (and logged): an outage of the counter must not stop the agencies' systems.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

from redis.exceptions import RedisError

from web.extensions import log

KEY = "procflow:api:rate:{key}:{window}"


class RateLimiter:
    """Counts calls per key (a token) and says how long a caller over the limit must wait.

    Args:
        limit: calls allowed within ``window`` seconds (0: no limit).
        window: the window in seconds.
        redis: the app's Redis client, or None to count in this process.
        now: the time source (seconds), for tests.
    """

    def __init__(self, limit: int, window: int, redis: Any = None, now: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self.window = window
        self.redis = redis
        self.now = now
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> int | None:
        """Count a call of ``key``; None if it is allowed, else the seconds to wait before the next one may pass."""
        if self.limit <= 0:
            return None
        now = self.now()
        current = int(now // self.window)
        elapsed = now - current * self.window
        try:
            previous, count = self._add(key, current)
        except RedisError as exc:
            log.warning("API rate limit not counted (Redis: %s)", exc)
            return None
        weight = 1 - elapsed / self.window
        if count + previous * weight <= self.limit:
            return None
        self._undo(key, current)
        return self._wait(previous, count - 1, elapsed)

    def _wait(self, previous: int, count: int, elapsed: float) -> int:
        """Seconds until ``count + previous * weight`` leaves room for one more call."""
        room = self.limit - 1 - count  # what the previous window may still weigh
        if previous > 0 and room >= 0:
            # previous * (1 - (elapsed + t) / window) <= room
            wait = self.window * (1 - room / previous) - elapsed
        else:  # the current window alone is full: wait for the next one
            wait = self.window - elapsed
        return max(1, math.ceil(wait))

    def _add(self, key: str, current: int) -> tuple[int, int]:
        """Add one to the current window's count; return the previous window's count and the current one."""
        if self.redis is None:
            with self._lock:
                for old in [k for k in self._counts if k[1] < current - 1]:
                    del self._counts[old]
                self._counts[(key, current)] = self._counts.get((key, current), 0) + 1
                return self._counts.get((key, current - 1), 0), self._counts[(key, current)]
        mine = KEY.format(key=key, window=current)
        pipe = self.redis.pipeline()
        pipe.incr(mine)
        pipe.expire(mine, self.window * 2 + 1)
        pipe.get(KEY.format(key=key, window=current - 1))
        count, _, previous = pipe.execute()
        return int(previous or 0), int(count)

    def _undo(self, key: str, current: int) -> None:
        """Take back the count of a refused call."""
        if self.redis is None:
            with self._lock:
                self._counts[(key, current)] -= 1
            return
        try:
            self.redis.decr(KEY.format(key=key, window=current))
        except RedisError as exc:
            log.warning("API rate limit not corrected (Redis: %s)", exc)
