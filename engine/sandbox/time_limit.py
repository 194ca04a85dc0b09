"""A time limit for model code, in whatever thread runs it (web request threads, RQ workers, the CLI).

One watchdog thread per process keeps the deadlines of the evaluations running in any thread. When one
passes its deadline the watchdog raises ``_Expired`` in that thread with ``PyThreadState_SetAsyncExc``
(again at every tick, so a bare ``except:`` in the script cannot swallow it), and ``call_with_limit`` turns
it into ``ScriptTimedOut``, an ordinary exception: the engine reports it as the element's error like any
other script error. Why a watchdog rather than a check compiled into loops: it costs nothing per loop
iteration or call (an evaluation pays two dict operations under an uncontended lock, about a microsecond),
and it also stops recursion and comprehensions, which loop checks would have to chase one by one; see
docs/security.md for the measurements.

What it cannot stop: a single operation in C that never returns to Python (a huge ``2 ** 10 ** 9``, a
catastrophic regular expression); an asynchronous exception waits for the next bytecode.
"""

from __future__ import annotations

import ctypes
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
TICK = 0.05  # how late past its limit an evaluation may be stopped
LINGER = 5.0  # an idle watchdog keeps ticking this long before it sleeps until the next evaluation


class _Expired(BaseException):
    """Raised asynchronously in a thread whose model code ran past its limit (BaseException: scripts'
    ``except Exception`` must not catch it)."""


class ScriptTimedOut(Exception):
    """Model code ran longer than the time limit and was stopped."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the script or expression ran longer than the {seconds:g} s limit and was stopped "
                         f"(an endless loop?)")
        self.seconds = seconds


@dataclass(eq=False, slots=True)
class _Armed:
    thread_id: int
    deadline: float
    inside: bool = False  # running model code (not our bookkeeping, not a shielded helper)
    fired: bool = False


def _raise_in(thread_id: int, exception: type[BaseException] | None) -> None:
    """Raise ``exception`` in the thread at its next bytecode; None forgets one not yet raised."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id),
                                               None if exception is None else ctypes.py_object(exception))


class _Watchdog:
    """The deadlines of running evaluations and the thread that enforces them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: dict[int, _Armed] = {}
        self._wake = threading.Event()
        self._running = False  # reset in a forked child (an RQ work horse), which has no copy of the thread

    def arm(self, seconds: float) -> _Armed:
        entry = _Armed(threading.get_ident(), time.monotonic() + seconds)
        with self._lock:
            self._armed[id(entry)] = entry
            if not self._wake.is_set():
                self._wake.set()
        if not self._running:
            self._start()
        return entry

    def disarm(self, entry: _Armed) -> None:
        with self._lock:
            self._armed.pop(id(entry), None)
            if entry.fired:  # an exception may still be pending for the thread: forget it
                _raise_in(entry.thread_id, None)

    def shield(self, entry: _Armed) -> None:
        """Stop firing at ``entry`` while trusted code runs (e.g. a helper inside a database transaction)."""
        entry.inside = False
        with self._lock:
            if entry.fired:
                _raise_in(entry.thread_id, None)

    def after_fork(self) -> None:
        """Start afresh in a forked child: the parent's thread is not there, and its lock may look taken."""
        self._lock = threading.Lock()
        self._armed = {}
        self._wake = threading.Event()
        self._running = False

    def _start(self) -> None:
        with self._lock:
            if self._running:
                return
            self._running = True
        threading.Thread(target=self._run, name="procflow-script-watchdog", daemon=True).start()

    def _run(self) -> None:
        idle_since = time.monotonic()
        while True:
            if not self._wake.is_set():
                self._wake.wait()
                idle_since = time.monotonic()
            time.sleep(TICK)
            now = time.monotonic()
            with self._lock:
                for entry in self._armed.values():
                    if entry.inside and now >= entry.deadline:
                        entry.fired = True
                        _raise_in(entry.thread_id, _Expired)
                if self._armed:
                    idle_since = now
                elif now - idle_since > LINGER:
                    self._wake.clear()  # under the lock: arm() sees it cleared and sets it again


_WATCHDOG = _Watchdog()
os.register_at_fork(after_in_child=_WATCHDOG.after_fork)
_local = threading.local()


def call_with_limit(seconds: float, function: Callable[..., T], *args: Any) -> T:
    """Call ``function(*args)``, stopping it with ScriptTimedOut after ``seconds``.

    A call inside a limited call (model code calling back into the engine) runs under the outer limit.
    """
    if getattr(_local, "entry", None) is not None:
        return function(*args)
    entry = _WATCHDOG.arm(seconds)
    _local.entry = entry
    try:
        try:
            entry.inside = True
            return function(*args)
        finally:
            entry.inside = False  # first: from here on the watchdog no longer fires at this thread
            _local.entry = None
            _WATCHDOG.disarm(entry)
    except _Expired:
        _WATCHDOG.disarm(entry)  # in case it was raised before the disarm above took the lock
        raise ScriptTimedOut(seconds) from None


def unlimited(function: Callable[..., T]) -> Callable[..., T]:
    """Wrap a helper model code may call so that the time limit never interrupts it halfway (e.g. inside
    a database statement); the limit applies again when it returns."""

    def shielded(*args: Any, **kwargs: Any) -> T:
        entry = getattr(_local, "entry", None)
        if entry is None:
            return function(*args, **kwargs)
        _WATCHDOG.shield(entry)
        try:
            return function(*args, **kwargs)
        finally:
            entry.inside = True

    shielded.__name__ = getattr(function, "__name__", "helper")
    shielded.__doc__ = function.__doc__
    return shielded
