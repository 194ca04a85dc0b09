"""Signing in and out."""

from web.auth.views import bp

__all__ = ["bp"]
