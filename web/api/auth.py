"""Who calls the API: a bearer token (acting for its user, within its scopes and its rate limit) or, for reading,
the browser's signed-in session."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, g, request
from flask_login import current_user
from werkzeug.exceptions import Forbidden, TooManyRequests, Unauthorized

from web.extensions import services

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="procflow"'}


@dataclass(frozen=True)
class Caller:
    """The user a request acts for, the token's scopes (a session may read everything its user may), the name
    of the token (None: the browser's session) and the agencies it may speak for in the exchange."""

    username: str
    scopes: frozenset[str]
    token: str | None = None
    token_id: int | None = None
    agencies: frozenset[str] = frozenset()

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
    return caller


def needs(scope: str) -> Callable[[], None]:
    """A blueprint's ``before_request``: every operation of it needs ``scope`` (checked before the body is read, so
    that a caller without a valid token or the scope learns nothing from the validation of what it sent)."""
    def check() -> None:
        require(scope)
    return check


def me() -> str:
    """The user the current API request acts for (after :func:`require`)."""
    return str(g.api_caller.username)


class OverLimit(TooManyRequests):
    """The token made more calls than its rate limit allows (web/api/limits.py)."""

    def __init__(self, wait: int) -> None:
        super().__init__(f"this token made too many calls; wait {wait} s")
        self.data = {"headers": {"Retry-After": str(wait)}}


def _caller() -> Caller:
    """Who calls (checked once per request: the rate limit counts each call once)."""
    found: Caller | None = g.get("api_caller")
    if found is None:
        found = g.api_caller = _authenticate()
        limiter = current_app.extensions.get("procflow_api_limits")
        key = f"token:{found.token_id}" if found.token_id is not None else f"session:{found.username}"
        wait = limiter.hit(key) if limiter is not None else None
        if wait is not None:
            raise OverLimit(wait)
    return found


def _authenticate() -> Caller:
    header = request.headers.get("Authorization", "")
    if header:
        kind, _, secret = header.partition(" ")
        if kind.lower() != "bearer" or not secret.strip():
            raise NotSignedIn("send 'Authorization: Bearer <token>'")
        bearer = services().tokens.check(secret.strip())
        if bearer is None:
            raise NotSignedIn("the token is unknown or revoked")
        return Caller(bearer.username, bearer.scopes, bearer.name, bearer.id, bearer.agencies)
    if request.method in ("GET", "HEAD") and current_user.is_authenticated:
        return Caller(current_user.username, frozenset({"all"}))
    raise NotSignedIn("send 'Authorization: Bearer <token>' (create one with `procflow tokens create`)")
