"""Reading a posted form's fields as form data, nested by data path."""

from __future__ import annotations

import json

from engine.forms import data_from_fields, parse_form

FORM = json.dumps({"id": "f", "type": "default", "components": [
    {"type": "textfield", "id": "a", "key": "applicant.name", "label": "Name"},
    {"type": "checkbox", "id": "b", "key": "agreed", "label": "Agreed"},
    {"type": "checklist", "id": "c", "key": "copies", "label": "Copies",
     "values": [{"label": "A", "value": "a"}, {"label": "B", "value": "b"}]},
    {"type": "filepicker", "id": "d", "key": "scan", "label": "Scan"},
    {"type": "text", "id": "e", "text": "# Heading"},
]})


def test_fields_become_nested_data_by_type() -> None:
    form, problems = parse_form(FORM, name="f.form")
    assert form is not None and not problems
    posted = {"applicant.name": ["Lan", "ignored"], "agreed": ["on"], "copies": ["a", "b"], "other": ["x"]}
    assert data_from_fields(form, posted, {"scan": {"sha256": "0" * 64}}) == {
        "applicant": {"name": "Lan"}, "agreed": True, "copies": ["a", "b"], "scan": {"sha256": "0" * 64}}
    assert data_from_fields(form, {}) == {"applicant": {"name": ""}, "agreed": False, "copies": [], "scan": None}
    assert data_from_fields(None, posted) == {}
