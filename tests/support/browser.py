"""One headless Debian chromium for the whole run, driven by playwright (never its own download)."""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(
    os.environ.get("HD_SCREENSHOTS", Path(__file__).resolve().parents[1] / ".screenshots")
)
# The machine has no outside network: without these chromium keeps dialling Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(
            f"{reason} -- CI requires the browser tests (.ci/run installs chromium)", pytrace=False
        )
    pytest.skip(reason)


def launch_browser():
    """(playwright, browser) on Debian's chromium; skips (CI=true: fails) when it is missing."""
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        _unavailable(
            "browser tests skipped: /usr/bin/chromium is missing"
            " (apt-get install chromium fonts-noto-cjk)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("browser tests skipped: playwright is missing (pip install -e '.[test]')")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
    except Exception:
        playwright.stop()
        raise
    return playwright, browser


def screenshot(page, name: str) -> Path:
    """Save a full-page PNG under tests/.screenshots/ (or $HD_SCREENSHOTS) and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
