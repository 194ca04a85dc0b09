"""Changing one's own password (the old one required) and setting a new one through a one-time reset link."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from marshmallow import Schema, fields, validate

from engine.errors import InvalidInput, NotFound
from engine.org.accounts import BadCredentials, TooManyAttempts
from engine.settings import PasswordRules
from web.errors import engine_text
from web.extensions import WebUser, services, user
from web.params import load

bp = Blueprint("account", __name__)


class ChangeSchema(Schema):
    old = fields.String(required=True, validate=validate.Length(1, 1000))
    new = fields.String(required=True, validate=validate.Length(1, 1000))
    again = fields.String(required=True, validate=validate.Length(1, 1000))


class ResetSchema(Schema):
    new = fields.String(required=True, validate=validate.Length(1, 1000))
    again = fields.String(required=True, validate=validate.Length(1, 1000))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password() -> ResponseReturnValue:
    """The form; on POST, check the old password and the rules, then keep the user signed in."""
    rules = services().settings.passwords
    if request.method == "GET":
        return render_template("account/password.html", errors={}, rules=rules)
    try:
        given = load(ChangeSchema(), request.form)
        if given["new"] != given["again"]:
            raise InvalidInput("", {"again": [_("The two new passwords differ.")]})
        services().passwords.change(user().username, given["old"], given["new"], client=request.remote_addr or "")
    except InvalidInput as exc:
        errors = _on_form(exc, request.form.get("new", ""), rules)
        return render_template("account/password.html", errors=errors, rules=rules), 422
    except TooManyAttempts as exc:
        return render_template("account/password.html", errors={"old": [engine_text(exc)]}, rules=rules), 429
    except BadCredentials:
        return render_template("account/password.html", errors={"old": [_("The current password is wrong.")]},
                               rules=rules), 422
    account = services().accounts.account(current_user.username)
    if account is not None:  # the new password ended every session, this one too: start it again
        login_user(WebUser(account, services().accounts.sessions.start(account.username)))
    flash(_("Your password is changed. Other sessions with the old password have ended."), "success")
    return redirect(url_for("inbox.index"))


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset(token: str) -> ResponseReturnValue:
    """A one-time link from an administrator: choose a new password, then sign in with it."""
    rules = services().settings.passwords
    try:
        username = services().passwords.reset_user(token)
    except NotFound:
        return render_template("account/reset.html", invalid=True, errors={}, rules=rules, username=""), 404
    if request.method == "GET":
        return render_template("account/reset.html", invalid=False, errors={}, rules=rules, username=username)
    try:
        given = load(ResetSchema(), request.form)
        if given["new"] != given["again"]:
            raise InvalidInput("", {"again": [_("The two new passwords differ.")]})
        services().passwords.redeem(token, given["new"])
    except InvalidInput as exc:
        errors = _on_form(exc, request.form.get("new", ""), rules)
        return render_template("account/reset.html", invalid=False, errors=errors, rules=rules,
                               username=username), 422
    except NotFound:
        return render_template("account/reset.html", invalid=True, errors={}, rules=rules, username=""), 404
    session.clear()
    flash(_("Your new password is set. Sign in with it."), "success")
    return redirect(url_for("auth.login"))


def _on_form(exc: InvalidInput, new: str, rules: PasswordRules) -> dict[str, list[str]]:
    """The engine names the new password ``password`` (in English); the form calls it ``new`` and says what it
    lacks in the page's language."""
    errors = {key: value for key, value in exc.fields.items() if key != "password"}
    if "password" in exc.fields:
        lacks = []
        if len(new) < rules.min_length:
            lacks.append(_("At least %(n)s characters.", n=rules.min_length))
        if rules.letters_and_digits and not (any(c.isalpha() for c in new) and any(c.isdigit() for c in new)):
            lacks.append(_("At least one letter and one digit."))
        errors["new"] = lacks or [engine_text(exc)]
    return errors
