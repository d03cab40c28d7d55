"""The one check every request passes before its view runs, in a fixed order.

1. A protected route (one decorated with `require`) authenticates first: without a valid token
   the answer is 401 whatever the body holds, and nothing else is read.
2. A body (with a Content-Length or chunked) must be JSON (415), within MAX_CONTENT_LENGTH
   (413, enforced by werkzeug while reading, chunked or not), parse (400, including nesting
   deep enough to exhaust the parser's recursion) and nest at most MAX_DEPTH levels (400).
3. No text anywhere (body keys and values, query string, headers) holds a NUL character (422):
   PostgreSQL cannot store one, and SQLite would store what PostgreSQL refuses.

Routes added later get all of this by being registered; nothing per route, except a `raw_body`
view (a payment provider's notification: Alipay posts a form), which reads its own body.
"""

from flask import current_app, request
from flask.json.provider import DefaultJSONProvider
from flask.sessions import SessionInterface
from werkzeug.exceptions import RequestEntityTooLarge

from service.errors import InvalidInput, MalformedRequest, UnsupportedMediaType
from service.web.auth import authorise

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
HEADER_KEYS = ("HTTP_", "CONTENT_")  # where WSGI keeps request headers
MAX_DEPTH = 32


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, with nesting that exhausts the parser's recursion read as invalid JSON."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError as error:
            raise ValueError("JSON nested too deeply") from error


class NoCookieSession(SessionInterface):
    """No Flask cookie session: callers sign in with bearer tokens and nothing reads
    `flask.session`, yet the default interface signs and parses one on every request (~5% of
    an empty feed poll). Writing to `flask.session` fails loudly (Flask's null session)."""

    def open_session(self, app, request):
        return self.make_null_session(app)

    def save_session(self, app, session, response) -> None:
        return None


def check_request() -> None:
    """Authenticate protected routes, then refuse unreadable bodies and NUL characters."""
    view = current_app.view_functions.get(request.endpoint)
    roles = getattr(view, "required_roles", None)
    if request.method == "OPTIONS":  # Flask answers OPTIONS itself
        roles = None
    if roles is not None:
        authorise(roles)
    if request.method in BODY_METHODS and _has_body() and not getattr(view, "raw_body", False):
        _check_body()
    if _may_hold_nul(request.environ):  # rare: only then look for which one holds it
        for name, value in (*request.args.items(multi=True), *request.headers.items()):
            _refuse_nul(name + value, (name,))


def _may_hold_nul(environ: dict) -> bool:
    # The raw query string (a NUL arrives as %00, or as itself) and the header entries; one
    # pass over plain strings, instead of decoding the arguments and titling every header.
    query = environ.get("QUERY_STRING", "")
    if "\x00" in query or "%00" in query:
        return True
    return any(
        "\x00" in key or "\x00" in value
        for key, value in environ.items()
        if key.startswith(HEADER_KEYS) and isinstance(value, str)
    )


def _has_body() -> bool:
    return bool(request.content_length) or _chunked()


def _chunked() -> bool:
    return "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def _check_body() -> None:
    if not request.is_json:
        raise UnsupportedMediaType("send the body as JSON with Content-Type: application/json")
    data = request.get_data(cache=True)
    if not data:
        return  # an empty chunked body: as if none was sent
    # werkzeug stops reading a chunked body at the limit without saying so: reaching it is 413.
    if _chunked() and len(data) >= current_app.config["MAX_CONTENT_LENGTH"]:
        raise RequestEntityTooLarge()
    body = request.get_json(silent=True)
    if body is None:
        raise MalformedRequest("the body is not valid JSON", code="malformed_json")
    _walk(body)


def _walk(body) -> None:
    # Iterative, so the check itself cannot run out of stack on what the parser accepted.
    stack = [(body, (), 1)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise MalformedRequest(
                f"the body nests deeper than {MAX_DEPTH} levels", code="malformed_json"
            )
        if isinstance(value, dict):
            for key, item in value.items():
                _refuse_nul(key, path + (key,))
                stack.append((item, path + (key,), depth + 1))
        elif isinstance(value, list):
            stack.extend((item, path + (index,), depth + 1) for index, item in enumerate(value))
        elif isinstance(value, str):
            _refuse_nul(value, path)


def _refuse_nul(text: str, path: tuple) -> None:
    if "\x00" in text:
        raise InvalidInput(
            "text may not contain NUL characters",
            code="validation_error",
            field=".".join(str(part) for part in path) or None,
        )
