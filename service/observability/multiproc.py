"""Where the processes' metric files live. Imports nothing of prometheus_client on purpose:
it picks single- or multi-process mode when first imported, so this must run before that."""

import glob
import os
import tempfile

ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_metrics_dir(*, fresh: bool = False) -> str | None:
    """Point prometheus_client at HD_METRICS_DIR (created if missing); None when unset.

    Every process of one deployment (gunicorn workers, the scheduler, `jobs run`) calls this
    before importing the app, so /metrics adds up all of them. `fresh` (the gunicorn master,
    at start) removes the files of an earlier run, whose counters would otherwise carry on.
    """
    path = os.environ.get("HD_METRICS_DIR") or os.environ.get(ENV)
    if not path:
        return None
    os.makedirs(path, exist_ok=True)
    if fresh:  # a scheduler started first keeps its live files
        _remove_dead_files(path, empty_only=False)
    os.environ[ENV] = os.environ["HD_METRICS_DIR"] = path
    return path


def drop_dead_empty_files() -> None:
    """Remove empty metric files of processes that have exited: one killed between creating its
    file and sizing it left the file empty for good, and prometheus_client fails every scrape
    on an empty file (prometheus/client_python#1199)."""
    if path := os.environ.get(ENV):
        _remove_dead_files(path, empty_only=True)


def _remove_dead_files(path: str, *, empty_only: bool) -> None:
    # The files in `path` of processes that have exited (with empty_only, only the empty ones).
    for metric_file in glob.glob(os.path.join(path, "*.db")):
        try:
            if (not empty_only or os.path.getsize(metric_file) == 0) and not _alive(metric_file):
                os.remove(metric_file)
        except FileNotFoundError:  # removed meanwhile (mark_process_dead, another scrape)
            pass


def _alive(metric_file: str) -> bool:
    """Whether the process that writes `metric_file` (named `<kind>_<pid>.db`) still runs."""
    pid = os.path.basename(metric_file).removesuffix(".db").rpartition("_")[2]
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def prepare_server_metrics_dir() -> str:
    """For the gunicorn master: HD_METRICS_DIR, or a new temporary directory, emptied."""
    os.environ.setdefault("HD_METRICS_DIR", tempfile.mkdtemp(prefix="hourdelivery-metrics-"))
    return prepare_metrics_dir(fresh=True)


def mark_process_dead(pid: int) -> None:
    """A worker exited: drop its live-gauge files (counters and histograms keep its totals)."""
    if os.environ.get(ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
