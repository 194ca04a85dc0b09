"""The signed-in user's own account: changing their password; and redeeming an administrator's reset link."""

from web.account.views import bp

__all__ = ["bp"]
