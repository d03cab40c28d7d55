"""The route guard: a bearer token, optionally of given roles."""

from collections.abc import Callable
from functools import wraps

from flask import g, request

from service.auth.models import Role
from service.auth.service import Caller, authenticate
from service.errors import PermissionDenied
from service.people.models import Operator
from service.web.context import clock, db_session

BEARER = {"bearer": []}


def require(*roles: Role) -> Callable:
    """Decorate a view: 401 without a valid token, 403 if its role is not among `roles`.

    The view is marked with `required_roles`, so the request check (service.web.requests)
    authenticates before it reads the body, and the OpenAPI document declares the bearer scheme
    and the 401/403 answers.
    """

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            authorise(roles)
            return view(*args, **kwargs)

        guarded.required_roles = roles
        return guarded

    return decorate


def authorise(roles: tuple[Role, ...]) -> Caller:
    """The request's caller, authenticated once per request; 403 if its role is not in `roles`."""
    token = g.get("caller")
    if token is None:
        token = authenticate(session=db_session(), secret=bearer_secret(), now=clock().now())
        g.caller = token
    if roles and token.role not in roles:
        raise PermissionDenied(f"a {token.role} token may not do this")
    return token


def caller() -> Caller:
    """The authenticated token of this request (set by `require`)."""
    return g.caller


def current_operator() -> Operator:
    """The operator an operator token speaks for (city_id None: a platform operator)."""
    return db_session().get(Operator, caller().principal_id)


def bearer_secret() -> str | None:
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else None
