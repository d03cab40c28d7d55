"""The processes of an HA cluster on one machine: started in sessions of their own with their
pids in files, stopped gently or killed with everything they started. Standard library only."""

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

from ha_layout import Layout


def spawn(layout: Layout, name: str, command: list[str]) -> None:
    """Start `command` in a session of its own, its output in <base>/<name>.out, its pid noted."""
    log = (layout.base / f"{name}.out").open("ab")
    process = subprocess.Popen(
        command,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    pidfile(layout, name).write_text(str(process.pid))


def stop(layout: Layout, name: str, how: signal.Signals, timeout_s: float = 30) -> None:
    """Signal a started program (not runuser around it), wait, then kill what is left."""
    pid = pid_of(layout, name)
    if pid is not None:
        for child in children(pid) or [pid]:  # the program itself, not runuser around it
            send(child, how)
        deadline = time.monotonic() + timeout_s
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        for straggler in tree(pid):
            send(straggler, signal.SIGKILL)
    pidfile(layout, name).unlink(missing_ok=True)


def pidfile(layout: Layout, name: str) -> Path:
    """Where the pid of a started program is noted."""
    return layout.base / "run" / f"{name}.pid"


def pid_of(layout: Layout, name: str) -> int | None:
    """The pid of a started program while it runs."""
    try:
        pid = int(pidfile(layout, name).read_text())
    except (OSError, ValueError):
        return None
    return pid if alive(pid) else None


def postmaster(layout: Layout, name: str) -> int | None:
    """The pid of a node's postmaster (from its data directory), if any."""
    try:
        return int((layout.node(name)["data_dir"] / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def children(pid: int) -> list[int]:
    """The direct children of `pid`."""
    try:
        listed = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in listed.split()]


def tree(pid: int | None) -> set[int]:
    """`pid` and all its descendants."""
    if pid is None or not alive(pid):
        return set()
    found = {pid}
    for child in children(pid):
        found |= tree(child)
    return found


def send(pid: int, how: signal.Signals) -> None:
    """Signal `pid` unless it is gone already."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, how)


def until(ready, deadline: float, failure: str) -> None:
    """Wait for `ready()`; TimeoutError(failure) past `deadline` (monotonic)."""
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError(failure)
        time.sleep(0.3)
