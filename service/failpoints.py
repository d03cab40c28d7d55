"""Test-only failpoints: named places in the code where a test can inject a delay or a crash.

Configured from HD_FAILPOINTS (e.g. `claim.after_checks=0.05,order.after_reserve=raise`), so a
test can widen a race window inside a real gunicorn worker. Unset, one dict lookup.
"""

import time

_active: dict[str, str] = {}


class FailpointError(RuntimeError):
    """Raised at a failpoint configured with `raise`, to simulate a crash mid-transaction."""


def configure(points: dict[str, str]) -> None:
    """Replace the active failpoints."""
    _active.clear()
    _active.update(points)


def failpoint(name: str) -> None:
    """Sleep or raise if the named failpoint is configured; otherwise do nothing."""
    action = _active.get(name)
    if action is None:
        return
    if action == "raise":
        raise FailpointError(f"failpoint {name}")
    time.sleep(float(action))
