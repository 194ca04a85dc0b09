"""The task page: its form, drafts, claiming, handing on and completion."""

from web.tasks.views import bp

__all__ = ["bp"]
