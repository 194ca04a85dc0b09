"""What notifications say. A notification is stored as one of these keys with its parameters (JSON) and rendered
when it is read, in the reader's language: the inbox in the page's, an e-mail in the recipient's (``users.language``).

The keys are stable (they are stored); the wording is the English msgid beside each, translated in the engine's
catalog (engine/translations/). Rewording a msgid re-words old notifications too; renaming a key needs a
migration for the rows that hold it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.i18n import N_, params_from_json, render

REMINDER_DUE = "reminder_due"                # a reminder timer: the task is due soon
REMINDED_BY = "reminded_by"                  # a manager's one-click reminder
REMINDED_BY_NO_DUE = "reminded_by_no_due"
OVERDUE = "overdue"                          # an escalation timer: the task is overdue
OVERDUE_UNCLAIMED = "overdue_unclaimed"
REASSIGNED_OVERDUE = "reassigned_overdue"    # a reassignment timer gave the overdue task to the reader
REASSIGNED_BY = "reassigned_by"              # a manager gave the task to the reader
DELEGATED = "delegated"                      # a colleague handed the task to the reader
HANDED_OVER = "handed_over"                  # the assignee was deactivated (left): their task went to the reader
OLD_TEXT = "old_text"                        # stored before the keys (migration 0013): the old "vi / en" text

WORDING: Mapping[str, str] = {
    REMINDER_DUE: N_("Task “{task}” (case #{case}) is due at {due}."),
    REMINDED_BY: N_("{by} reminds you of the task “{task}” (case #{case}), due at {due}."),
    REMINDED_BY_NO_DUE: N_("{by} reminds you of the task “{task}” (case #{case})."),
    OVERDUE: N_("Task “{task}” (case #{case}, with {assignee}) was due at {due} and is overdue."),
    OVERDUE_UNCLAIMED: N_("Task “{task}” (case #{case}, not taken by anyone) was due at {due} and is overdue."),
    REASSIGNED_OVERDUE: N_("The overdue task “{task}” (case #{case}) was given to you."),
    REASSIGNED_BY: N_("{by} gave you the task “{task}” (case #{case})."),
    DELEGATED: N_("{by} handed the task “{task}” (case #{case}) to you."),
    HANDED_OVER: N_("{user} no longer works here: their task “{task}” (case #{case}) was given to you."),
}

# E-mail subjects by notification kind.
SUBJECTS: Mapping[str, str] = {
    "reminder": N_("Task due soon"),
    "escalation": N_("Overdue task"),
    "reassigned": N_("Task reassigned to you"),
    "delegated": N_("Task delegated to you"),
}


def wording(key: str, params: Mapping[str, Any] | None, locale: str) -> str:
    """The text of a stored notification in ``locale``.

    Args:
        key: one of the keys above.
        params: its parameters as stored (JSON; moments tagged by engine/i18n.py).
        locale: ``"vi"`` or ``"en"``.

    Returns:
        The finished text; an unknown key shows its parameters rather than nothing.
    """
    values = params_from_json(params)
    if key == OLD_TEXT:
        return str(values.get("en" if locale == "en" else "vi") or values.get("vi") or values.get("en") or "")
    if key not in WORDING:
        return f"{key}: {values}"
    return render(WORDING[key], values, locale)


def subject(kind: str, locale: str) -> str:
    """The e-mail subject of a notification of ``kind`` in ``locale``."""
    return render(SUBJECTS[kind], None, locale) if kind in SUBJECTS else kind
