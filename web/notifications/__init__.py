"""Notifications addressed to the signed-in user."""

from web.notifications.views import bp

__all__ = ["bp"]
