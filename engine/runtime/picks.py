"""The choices of a form's pick fields for the person filling it, as the organisation offers them."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from engine.forms import FormDefinition
from engine.org.picks import PickOption, pick_options


def form_pick_options(conn: Connection, form: FormDefinition | None,
                      actor: str | None) -> dict[str, list[PickOption]]:
    """Each pick field's choices (by data path) for ``actor``: what the page lists and the server accepts."""
    found: dict[str, list[PickOption]] = {}
    for component in form.fields if form else ():
        if component.pick is not None and component.name is not None:
            pick = component.pick
            found[component.name] = pick_options(conn, pick.kind, groups=pick.groups, scope=pick.scope,
                                                 actor=actor)
    return found


def form_picks(conn: Connection, form: FormDefinition | None, actor: str | None) -> dict[str, dict[str, str]]:
    """Each pick field's allowed values with their labels, for ``validate_submission``."""
    return {name: {o.value: o.label for o in options}
            for name, options in form_pick_options(conn, form, actor).items()}
