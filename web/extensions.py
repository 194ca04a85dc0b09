"""The engine's services and the signed-in user, as views reach them (never through module globals)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app
from flask_login import LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFProtect

from engine.org.accounts import Account
from engine.services import Services, build_services
from engine.settings import Settings

log = logging.getLogger("procflow.web")
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.session_protection = "basic"


class WebUser(UserMixin):
    """The signed-in user: their account, and the token of their session kept on the server (engine/org/sessions.py),
    which stops working on sign-out, a new password, deactivation, or after the idle or absolute lifetime."""

    def __init__(self, account: Account, token: str) -> None:
        self.account = account
        self.token = token

    def get_id(self) -> str:
        return self.token

    @property
    def username(self) -> str:
        """The user's login name, which the engine records as actor."""
        return self.account.username

    @property
    def groups(self) -> frozenset[str]:
        """The group codes the user belongs to."""
        return self.account.groups


def init_services(app: Flask, settings: Settings) -> None:
    """Build the engine's services once for this app and set up sign-in and CSRF protection."""
    services = app.config.get("PROCFLOW_SERVICES")
    if services is None:
        redis = app.config.get("PROCFLOW_REDIS")
        if redis is None and settings.redis_url:
            from engine.queue.connection import connect_redis

            redis = connect_redis(settings)
        services = build_services(settings, redis=redis, clock=app.config.get("PROCFLOW_CLOCK"))
    app.extensions["procflow"] = services
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.user_loader(_load_user)
    login_manager.login_message = None  # the login page says why on its own


def services() -> Services:
    """The engine's services of the running app."""
    return current_app.extensions["procflow"]


def user() -> WebUser:
    """The signed-in user (views behind ``login_required`` only)."""
    return current_user._get_current_object()


def _load_user(token: str) -> Any:
    accounts = services().accounts
    username = accounts.sessions.user_of(token)
    account = accounts.account(username) if username else None
    return WebUser(account, token) if account is not None else None
