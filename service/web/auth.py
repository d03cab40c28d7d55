"""The route guard: a bearer token, optionally of given roles."""

from collections.abc import Callable
from functools import wraps

from flask import g, request

from service.auth.models import Role
from service.auth.service import Caller, authenticate
from service.errors import PermissionDenied
from service.web.context import db_session

BEARER = {"bearer": []}


def require(*roles: Role) -> Callable:
    """Decorate a view: 401 without a valid token, 403 if its role is not among `roles`."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            token = authenticate(session=db_session(), secret=bearer_secret())
            if roles and token.role not in roles:
                raise PermissionDenied(f"a {token.role} token may not do this")
            g.caller = token
            return view(*args, **kwargs)

        return guarded

    return decorate


def caller() -> Caller:
    """The authenticated token of this request (set by `require`)."""
    return g.caller


def bearer_secret() -> str | None:
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else None
