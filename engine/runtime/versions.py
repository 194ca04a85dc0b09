"""Versions of a case and of an open task, as the API's ``ETag`` shows them and ``If-Match`` names them.

A case's version is its row's ``lock_version``, which every saved step, suspension, resumption and cancellation
moves on. An open task's version is its case's version together with its assignee (a claim or a return changes
the inbox row, not the case). The checks run after the rows are locked, in the transaction of the change, so a
version that was current when checked is the one the change applies to.
"""

from __future__ import annotations

import hashlib

from engine.errors import Stale
from engine.i18n import N_


def case_version(lock_version: int) -> str:
    """The version tag of a case whose row has ``lock_version``."""
    return f"c{lock_version}"


def task_version(lock_version: int, assignee: str | None) -> str:
    """The version tag of an open task: its case's version and who has it (hashed: the tag names nobody)."""
    mixed = hashlib.sha256(f"{lock_version}\0{assignee or ''}".encode()).hexdigest()[:16]
    return f"t{lock_version}-{mixed}"


def require_version(current: str, expected: str | None) -> None:
    """Refuse the change unless ``expected`` is None (nothing named) or the ``current`` version.

    Raises:
        Stale: the object changed since the caller read version ``expected``.
    """
    if expected is not None and expected != current:
        raise Stale(N_("it changed since version {expected} was read (now {current}); read it again"),
                    expected=expected, current=current)
