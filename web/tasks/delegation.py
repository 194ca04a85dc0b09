"""The task page's delegation picker: colleagues chosen by name (not user name), searchable, checked at the edge.

The engine lists whom a task may be handed to, likeliest first (``WorkService.delegates``); the page renders the
first of them as a list box, and a search box narrows it: by a plain GET of the task page without JavaScript, by
htmx asking ``tasks.delegates`` for the list alone as one types. Handing over still goes through
``WorkService.delegate``, which decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from engine.errors import InvalidInput, NotFound
from engine.inbox.delegates import CANDIDATE, MAX_SEARCH, OTHER, SAME_UNIT, Colleague, DelegateChoices
from web.extensions import services, user
from web.params import load, load_or_default
from web.tasks.messages import in_words

LIMIT = 20
TIER_LABELS = {CANDIDATE: _l("In the groups the task is for"), SAME_UNIT: _l("In your unit"),
               OTHER: _l("Other colleagues")}


class SearchSchema(Schema):
    """The picker's search: the text typed, and the colleague already chosen (kept chosen if still listed)."""

    q = fields.String(load_default="", validate=validate.Length(max=MAX_SEARCH))
    to_user = fields.String(load_default=None, validate=validate.Length(max=100))


class ChoiceSchema(SearchSchema):
    """Handing over: the chosen colleague's user name is required."""

    to_user = fields.String(required=True, validate=validate.Length(1, 100))


@dataclass(frozen=True)
class Picker:
    """What the picker shows: the colleagues found, the one chosen, and the fields' errors."""

    choices: DelegateChoices
    chosen: str | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def groups(self) -> list[tuple[str, list[Colleague]]]:
        """The colleagues in the engine's order, under the label of their tier."""
        return [(str(TIER_LABELS[tier]), list(people))
                for tier, people in groupby(self.choices.people, key=lambda p: p.tier)]

    @property
    def rows(self) -> int:
        """How many rows the list box shows (at least 2, so that nothing is chosen for the user)."""
        return max(2, min(10, len(self.choices.people) + len(self.groups)))


def picker(task_id: str, search: str = "", chosen: str | None = None,
           errors: dict[str, list[str]] | None = None) -> Picker:
    """The picker for ``task_id``: the first colleagues matching ``search``, with ``chosen`` chosen if listed."""
    search = search.strip()[:MAX_SEARCH]
    choices = services().work.delegates(task_id, user().username, search=search, limit=LIMIT)
    return Picker(choices, chosen, errors or {})


def searched(task_id: str, args: Mapping[str, Any]) -> Picker:
    """The picker after a search in the query string (``q``, ``to_user``); InvalidInput (a 422) if malformed."""
    given = load(SearchSchema(), args)
    return picker(task_id, given["q"], given["to_user"])


def hand_over(instance_id: int, task_id: str,
              form: Mapping[str, Any]) -> tuple[str | None, dict[str, list[str]], dict[str, Any]]:
    """Hand the task to the colleague chosen in ``form``: their full name, or the field errors (nothing changed),
    and the search to show the picker with again."""
    search = load_or_default(SearchSchema(), form)
    try:
        to_user = load(ChoiceSchema(), form)["to_user"]
    except InvalidInput as exc:
        return None, {name: [_message(name)] for name in exc.fields}, search
    try:
        services().work.delegate(task_id, user().username, to_user)
    except InvalidInput:
        return None, {"to_user": [_("You cannot hand a task to yourself; choose a colleague.")]}, search
    except NotFound:
        with in_words():  # the task itself has gone: its own page says so
            services().desk.open_task(user().username, instance_id, task_id)
        return None, {"to_user": [_("This colleague cannot receive tasks (unknown or no longer active); "
                                    "choose someone from the list.")]}, search
    account = services().accounts.account(to_user)
    return account.full_name if account else to_user, {}, search


def _message(name: str) -> str:
    if name == "q":
        return _("Type at most %(n)s characters.", n=MAX_SEARCH)
    return _("Choose the colleague to hand the task to.")
