"""The administrators' pages: cases by status and their actions; people, units and groups; operations; the agency
directory of the document exchange."""

from web.admin import agencies, operations, people  # noqa: F401 - their routes join the blueprint
from web.admin.views import bp

__all__ = ["bp"]
