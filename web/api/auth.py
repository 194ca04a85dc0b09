"""Who calls the API: a bearer token (acting for its user, within its scopes) or, for reading, the browser's
signed-in session."""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, request
from flask_login import current_user
from werkzeug.exceptions import Forbidden, Unauthorized

from web.extensions import services

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="procflow"'}


@dataclass(frozen=True)
class Caller:
    """The user a request acts for, and the token's scopes (a session may read everything its user may)."""

    username: str
    scopes: frozenset[str]

    def allows(self, scope: str) -> bool:
        return scope in self.scopes or "all" in self.scopes


class NotSignedIn(Unauthorized):
    """No valid token (or session, for reading)."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.data = {"headers": CHALLENGE}


def require(scope: str) -> Caller:
    """The caller of this request if it may use ``scope``.

    Raises:
        NotSignedIn (401): no, a malformed, unknown or revoked token; a session on a non-GET request.
        Forbidden (403): the token lacks the scope.
    """
    caller = _caller()
    if not caller.allows(scope):
        raise Forbidden(f"this token does not have the scope '{scope}'")
    g.api_caller = caller
    return caller


def me() -> str:
    """The user the current API request acts for (after :func:`require`)."""
    return str(g.api_caller.username)


def _caller() -> Caller:
    header = request.headers.get("Authorization", "")
    if header:
        kind, _, secret = header.partition(" ")
        if kind.lower() != "bearer" or not secret.strip():
            raise NotSignedIn("send 'Authorization: Bearer <token>'")
        bearer = services().tokens.check(secret.strip())
        if bearer is None:
            raise NotSignedIn("the token is unknown or revoked")
        return Caller(bearer.username, bearer.scopes)
    if request.method in ("GET", "HEAD") and current_user.is_authenticated:
        return Caller(current_user.username, frozenset({"all"}))
    raise NotSignedIn("send 'Authorization: Bearer <token>' (create one with `procflow tokens create`)")
