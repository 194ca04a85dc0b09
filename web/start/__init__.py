"""Starting a procedure: what the user may start, and each procedure's start form."""

from web.start.views import bp

__all__ = ["bp"]
