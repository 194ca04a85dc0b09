"""The designers' pages (group ``thiet_ke`` and administrators): upload, lint, model, deploy, versions, scenarios."""

from web.design.views import bp

__all__ = ["bp"]
