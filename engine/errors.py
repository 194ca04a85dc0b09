"""Domain errors. They carry no HTTP codes (the web layer maps them) and no finished text: a message id
(the English gettext msgid, ``{name}`` placeholders) and its parameters, rendered in the reader's language
(engine/i18n.py). ``str(error)`` is the English text, for logs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.i18n import N_, Message


class ProcflowError(Exception):
    """Base class of every error procflow reports to a user.

    Args:
        message: the msgid, marked with ``N_`` where it is written (``N_("no instance {instance_id}")``).
        params: the values of its placeholders.
    """

    def __init__(self, message: str = "", /, **params: Any) -> None:
        super().__init__(message)
        self.message = Message(message, params)

    @property
    def message_id(self) -> str:
        """The msgid (the English template)."""
        return self.message.id

    @property
    def params(self) -> dict[str, Any]:
        """The parameters of the message."""
        return dict(self.message.params)

    def render(self, locale: str = "en") -> str:
        """The message in ``locale`` (``"vi"`` or ``"en"``)."""
        return self.message.render(locale)

    def __str__(self) -> str:
        return self.render("en")


class NotFound(ProcflowError):
    """A process, instance, task, user or unit does not exist."""


class PermissionDenied(ProcflowError):
    """The user may not do this."""


class Conflict(ProcflowError):
    """Someone else changed the same thing first (e.g. completed the same task)."""


class Stale(Conflict):
    """The caller named the version it last saw (an HTTP ``If-Match``) and the object has changed since."""


class InvalidState(ProcflowError):
    """The action does not fit the object's current state (e.g. completing a task of a suspended case)."""


class InvalidInput(ProcflowError):
    """Input data is malformed; ``fields`` maps field names to messages."""

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None, /, **params: Any) -> None:
        super().__init__(message, **params)
        self.fields = fields or {}


@dataclass(frozen=True)
class ModelProblem:
    """One problem found in a BPMN/DMN file, located as precisely as possible (for designers: English)."""

    file: str
    line: int | None
    element_id: str | None
    message: str
    code: str = "E000"
    severity: str = "error"
    column: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        element = f" {self.element_id}:" if self.element_id else ""
        return f"{where}:{element} {self.message}"


class InvalidModel(ProcflowError):
    """A model was refused at deploy; ``problems`` says where and why."""

    def __init__(self, problems: list[ModelProblem]) -> None:
        self.problems = problems
        super().__init__("{problems}", problems="\n".join(str(p) for p in problems))


NO_USER = N_("no user '{user}'")
NO_PROCESS = N_("no deployed process '{process_id}'")


def no_user(user: str) -> NotFound:
    """The error for a user the organisation does not know (or who is inactive)."""
    return NotFound(NO_USER, user=user)


class Unavailable(ProcflowError):
    """Something procflow needs (the database, its connection pool, the queue) failed for a moment.

    Nothing was changed: the step was rolled back, and the same action may simply be tried again after
    ``retry_after`` seconds. It is never the model's fault, so it never puts a case into error.
    """

    def __init__(self, message: str = N_("the service is busy or briefly unavailable; try again in a moment"),
                 /, *, retry_after: int = 5, **params: Any) -> None:
        super().__init__(message, **params)
        self.retry_after = retry_after
