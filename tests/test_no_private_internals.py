"""No application code reaches into a library's private internals (issue 21): the names the
old request path used are gone from the service, and stay gone."""

from pathlib import Path

import service

FORBIDDEN = (
    "positiontup",
    "bind_names",
    "construct_params",
    "_generate_spec",
    "__wrapped__",
    "do_commit",
    "do_rollback",
    "gunicorn.workers",
    "gunicorn.util",
    "autocommit_twin",
    "HotStatement",
)


def test_the_service_uses_no_private_internals_of_sqlalchemy_spectree_or_gunicorn():
    root = Path(service.__file__).parent
    found = [
        (path.relative_to(root).as_posix(), name)
        for path in root.rglob("*.py")
        for name in FORBIDDEN
        if name in path.read_text(encoding="utf-8")
    ]
    assert found == []
