"""Cases: the user's own cases, and one case's page, diagram, comments and files."""

from web.cases.views import bp

__all__ = ["bp"]
