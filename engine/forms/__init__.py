"""Forms of user tasks: Camunda Forms JSON definitions (``forms/*.form``) and server-side validation.

The pieces, each usable without Flask:

* :func:`load_form` reads one definition into a :class:`FormDefinition` (components in the designer's order,
  labels in Vietnamese and English) or raises :class:`~engine.errors.InvalidModel` with located problems;
* :class:`FormRegistry` loads a folder and finds a form by the key a BPMN user task gives;
* :func:`data_from_fields` turns a posted form's fields into form data;
* :func:`schema_for` builds the marshmallow schema of a form; :func:`validate_submission` cleans one
  submission or raises :class:`~engine.errors.InvalidInput` with messages per field, in either language.

See docs/forms.md for the format and the rules.
"""

from engine.forms.definition import (
    DISPLAY_TYPES,
    EMPTY_VALUES,
    INPUT_TYPES,
    PICK_KINDS,
    SUPPORTED_TYPES,
    Choice,
    Constraints,
    DateRules,
    FormComponent,
    FormDefinition,
    Pick,
)
from engine.forms.files import DEFAULT_MAX_FILE_SIZE, FILE_KEYS, FILE_TYPES
from engine.forms.loader import load_form, parse_form
from engine.forms.messages import LOCALES, MESSAGES, message, normalize_locale
from engine.forms.registry import FormRegistry, form_name
from engine.forms.schema import schema_for, validate_submission
from engine.forms.submission import data_from_fields

__all__ = [
    "DEFAULT_MAX_FILE_SIZE",
    "DISPLAY_TYPES",
    "EMPTY_VALUES",
    "FILE_KEYS",
    "FILE_TYPES",
    "INPUT_TYPES",
    "LOCALES",
    "MESSAGES",
    "PICK_KINDS",
    "SUPPORTED_TYPES",
    "Choice",
    "Constraints",
    "DateRules",
    "FormComponent",
    "FormDefinition",
    "FormRegistry",
    "Pick",
    "data_from_fields",
    "form_name",
    "load_form",
    "message",
    "normalize_locale",
    "parse_form",
    "schema_for",
    "validate_submission",
]
