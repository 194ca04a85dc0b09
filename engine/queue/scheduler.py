"""RQ's scheduler as a thread of ``procflow worker`` instead of a forked process.

RQ forks the worker to run its scheduler: a loop that, once a second, refreshes a lock and moves due jobs from
the scheduled registry to the queue. The fork keeps a copy of everything the worker imported and built (the
services, SQLAlchemy, SpiffWorkflow ...): about 80 MB of RSS for a loop of Redis calls. A daemon thread runs
the same loop (RQ's own ``work``: locks, heartbeat, enqueueing) in the worker's memory. It stops when the worker
asks it to (``request_stop``); signals stay with the worker's main thread, which is the only one that may
install handlers.
"""

from __future__ import annotations

import threading

from rq.scheduler import RQScheduler, run

STOP_WAIT = 5.0  # seconds: one loop (a one-second sleep and a few Redis calls) ends well within it


class ThreadScheduler(RQScheduler):
    """RQ's scheduler, run in a daemon thread of the worker that owns it."""

    def start(self) -> threading.Thread:
        """Run the scheduling loop in a new daemon thread; return the thread."""
        self._status = self.Status.STARTED
        thread = threading.Thread(target=run, args=(self,), name="rq-scheduler", daemon=True)
        # RQ's worker checks ``_process.is_alive()`` to restart a scheduler that died; a thread answers it too.
        self._process = thread  # type: ignore[assignment]
        thread.start()
        return thread

    def _install_signal_handlers(self) -> None:
        """Nothing: only the main thread may install handlers, and the worker's stop reaches the loop itself."""

    def stop_thread(self) -> None:
        """Ask the loop to stop (it releases its locks and deregisters) and wait for it."""
        self.request_stop()
        thread = self._process
        if isinstance(thread, threading.Thread) and thread is not threading.current_thread():
            thread.join(STOP_WAIT)
