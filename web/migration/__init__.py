"""Migrating running cases to another version of their process: the plan, its checks, a dry run, the run."""

from web.migration.views import bp

__all__ = ["bp"]
