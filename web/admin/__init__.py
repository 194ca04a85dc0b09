"""The administrators' page: cases by status, and running them again, suspending, resuming or cancelling them."""

from web.admin.views import bp

__all__ = ["bp"]
