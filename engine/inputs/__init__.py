"""Reading what comes from outside, safely: XML with no entities or network (safe_xml) and JSON typed by people,
strict about numbers, depth and size (strict_json).

May import only the kernel (errors, i18n). Every parse of a model file or of JSON from a person goes through here.
"""
