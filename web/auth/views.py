"""Signing in and out (Flask-Login; argon2 hashes, the throttle per client and the sessions live in the engine's
AccountService)."""

from __future__ import annotations

import math

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from marshmallow import Schema, ValidationError, fields, validate

from engine.org.accounts import BadCredentials, TooManyAttempts
from web.extensions import WebUser, services, user
from web.i18n import local_time, safe_next

bp = Blueprint("auth", __name__)


class LoginSchema(Schema):
    """What the sign-in form sends."""

    username = fields.String(required=True, validate=validate.Length(1, 100))
    password = fields.String(required=True, validate=validate.Length(1, 1000))
    next = fields.String(load_default="")


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Show the sign-in form; on POST, check the password and start a session."""
    if current_user.is_authenticated:
        return redirect(url_for("inbox.index"))
    target = request.values.get("next", "")
    if request.method == "GET":
        return render_template("auth/login.html", next=target, errors={}, username="")
    try:
        data = LoginSchema().load({k: v.strip() if k == "username" else v for k, v in request.form.items()
                                   if k in ("username", "password", "next")})
    except ValidationError as exc:
        errors = {name: _("This field is required.") for name in exc.messages}
        return render_template("auth/login.html", next=target, errors=errors,
                               username=request.form.get("username", "")), 422
    try:
        account = services().accounts.authenticate(data["username"], data["password"],
                                                   client=request.remote_addr or "")
    except TooManyAttempts as exc:
        message = _("Too many failed sign-ins for this user name. Try again after %(time)s.",
                    time=local_time(exc.until))
        wait = max(1, math.ceil((exc.until - services().clock.now()).total_seconds()))
        return render_template("auth/login.html", next=target, errors={"form": message},
                               username=data["username"]), 429, {"Retry-After": str(wait)}
    except BadCredentials:
        message = _("Wrong user name or password.")
        return render_template("auth/login.html", next=target, errors={"form": message},
                               username=data["username"]), 401
    session.clear()  # nothing from before sign-in survives into the new session
    session.permanent = True
    login_user(WebUser(account, services().accounts.sessions.start(account.username)))
    return redirect(safe_next(data["next"], url_for("inbox.index")))


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    """End the session, on the server too: a copy of the cookie no longer signs anyone in."""
    services().accounts.sessions.end(user().token)
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))
