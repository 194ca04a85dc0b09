"""The inbox: the open tasks a user may work on, and saved filters."""

from web.inbox.views import bp

__all__ = ["bp"]
