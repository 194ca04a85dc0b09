"""Template helpers that name things as people know them: people, groups and units by name, keys as written."""

from __future__ import annotations

from flask import Flask, g, url_for

from engine.org.directory import Names, read_names
from engine.persistence.case_fields import display_key
from web.extensions import services, user


def init_naming(app: Flask) -> None:
    """Register the ``business_key`` filter and the ``org_names()`` helper of the templates."""
    app.jinja_env.filters["business_key"] = display_key
    app.jinja_env.globals["org_names"] = org_names


def org_names() -> Names:
    """The organisation's names, read once per request."""
    found = g.get("_org_names")
    if found is None:
        with services().db.connect() as conn:
            found = g._org_names = read_names(conn)
    return found


def file_links(instance_id: int) -> dict[str, str]:
    """The download address of each file of a case the signed-in user may see, by its content's SHA-256."""
    found = services().attachments.list_for(instance_id, user().username)
    return {a.sha256: url_for("cases.download", instance_id=instance_id, attachment_id=a.id) for a in found}
