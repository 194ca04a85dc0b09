"""What the task page says when a task cannot be opened or completed, in the user's language.

The rule itself is the engine's (``TaskDesk.open_task``: the inbox's rule); its refusals carry who completed a task
and when, and this module puts them into words.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask_babel import gettext as _

from engine.errors import InvalidState, NotFound, PermissionDenied
from engine.inbox.desk import DoneBy, TaskClosed, TaskOfOthers
from web.i18n import local_time


def completed(done: DoneBy) -> str:
    """Who completed the task and when, as a sentence."""
    return _("This task was already completed by %(who)s at %(when)s.", who=done.actor or "?",
             when=local_time(done.at))


def refusal(error: Exception) -> str:
    """Why the user may not open the task: it is for others, completed (by whom, when) or not open."""
    if isinstance(error, TaskOfOthers):
        return _("This task is for other people or groups.")
    if isinstance(error, TaskClosed) and error.done is not None:
        return completed(error.done)
    return _("This task does not exist or is no longer open.")


def explain(error: Exception) -> str:
    """Why a completion the runtime refused did not happen (the input is kept on the page)."""
    if isinstance(error, TaskClosed) and error.done is not None:
        return completed(error.done)
    if isinstance(error, InvalidState):
        return _("The case is not running (it may be suspended or ended), so the task cannot be completed now.")
    if isinstance(error, PermissionDenied):
        return _("This task has been given to someone else meanwhile.")
    if isinstance(error, NotFound):
        return _("This task is no longer open.")
    return _("Someone else changed this case at the same moment. Your input is kept below; reload the page "
             "to see the current state.")


@contextmanager
def in_words() -> Iterator[None]:
    """Let the desk's refusals reach the error page in the user's words (403 for others' tasks, 404 else)."""
    try:
        yield
    except TaskOfOthers as exc:
        raise PermissionDenied(refusal(exc)) from exc
    except TaskClosed as exc:
        raise NotFound(refusal(exc)) from exc
