"""Browser stories: a live stack (gunicorn + the real scheduler on a sped-up business clock),
pages at phone and tablet sizes that collect console errors, and the zh-CN text scan."""

import re
import signal
import subprocess
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import Page

from service.auth.models import Role
from service.auth.service import issue_token
from service.db import Database, make_engine
from service.seed.demo import issue_demo_tokens
from tests.support.live import LiveServer, start_server
from tests.support.simulation import start_scheduler

PHONE = {"width": 412, "height": 915}
TABLET = {"width": 1024, "height": 1366}
# Brand and product words the catalogue sells under their own Latin names.
ALLOWED = {
    "iPhone",
    "Apple",
    "HUAWEI",
    "Mate",
    "MatePad",
    "Pro",
    "Pad",
    "Watch",
    "Xiaomi",
    "OPPO",
    "Find",
    "Lenovo",
    "ANTA",
    "NING",
    "Xtep",
    "Haier",
    "Midea",
    "GREE",
    "Hisense",
    "Coca",
    "Cola",
    "Tsingtao",
    "Changyu",
    "Aptamil",
    "Pampers",
    "Huggies",
    "Pigeon",
    "Omron",
    "Lanc",
    "Est",
    "Lauder",
    "Decathlon",
}
LATIN = re.compile(r"[A-Za-z]{3,}")
CODE = re.compile(r"\b[A-Z]{3,}(?:_[A-Z]+)*\b|\b[a-z]+_[a-z_]+\b")


@dataclass
class Stack:
    server: LiveServer
    scheduler: subprocess.Popen | None
    sim_env: dict
    database: Database
    errors: list[str] = field(default_factory=list)
    contexts: list = field(default_factory=list)  # the pages' browser contexts (open_page)

    @property
    def url(self) -> str:
        return self.server.url

    def stop(self) -> None:
        # The pages first: a tablet's parked poll would hold gunicorn's graceful stop (up to
        # 10 s), and pages left open keep polling a dead port for the rest of the session.
        for context in self.contexts:
            context.close()
        self.contexts.clear()
        if self.scheduler and self.scheduler.poll() is None:
            self.scheduler.send_signal(signal.SIGTERM)
            try:
                self.scheduler.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.scheduler.kill()
        self.database.engine.dispose()

    def tokens(self) -> dict[str, str]:
        """A fresh demo token per role (the tablet store's, the Changsha courier's, ...)."""
        with self.database.unit_of_work() as session:
            issued = issue_demo_tokens(session=session, now=datetime.now(UTC))
        return {role: token for role, _name, token in issued}

    def token_for(self, role: Role, principal_id: int) -> str:
        with self.database.unit_of_work() as session:
            return issue_token(
                session=session,
                role=role,
                principal_id=principal_id,
                now=datetime.now(UTC),
                label="story",
            )[1]

    def sql(self, statement, **params):
        """Run one statement on the stack's database and return its rows (if any)."""
        with self.database.unit_of_work() as session:
            result = session.execute(statement, params)
            return result.all() if result.returns_rows else None


def business_clock(speed: float) -> dict[str, str]:
    """HD_SIM_* for a business day that starts at 10:00 in the city (stores open, whatever the
    hour of the run) and runs `speed` times faster than the wall clock from now."""
    city = datetime.now(ZoneInfo("Asia/Shanghai"))
    start = city.replace(hour=10, minute=0, second=0, microsecond=0)
    anchor = datetime.now(UTC).replace(microsecond=0)
    return {
        "HD_SIM_START": start.isoformat(),
        "HD_SIM_ANCHOR": anchor.isoformat(),
        "HD_SIM_SPEED": f"{speed:g}",
        "HD_TABLET_SILENCE_S": f"{max(180, 60 * speed):g}",
    }


def start_stack(
    database_url: str,
    logdir: Path,
    *,
    speed: float = 1,
    scheduler: bool = True,
    port: int | None = None,
) -> Stack:
    """Gunicorn (demo mode) and, if asked, the scheduler, both on one business clock that runs
    `speed` times faster than the wall clock from now."""
    sim = business_clock(speed)
    server = start_server(database_url, logdir, env={**sim, "HD_DEMO": "1"}, port=port)
    runner = start_scheduler(database_url, sim, logdir / "scheduler.log") if scheduler else None
    return Stack(server, runner, sim, Database(make_engine(database_url)))


def restart_after(stack: Stack, logdir: Path, down_s: float) -> None:
    """Stop gunicorn, keep it down `down_s` seconds, start it again on the same port.

    Down from the stop: a graceful stop refuses new connections at once and waits up to its
    graceful_timeout (10 s) for the requests under way (a tablet's parked poll), which count."""
    port = int(stack.url.rsplit(":", 1)[1])
    stopped_at = time.monotonic()
    stack.server.stop()
    time.sleep(max(0.0, down_s - (time.monotonic() - stopped_at)))
    env = {**stack.sim_env, "HD_DEMO": "1"}
    stack.server = start_server(stack.server.database_url, logdir, env=env, port=port)


def open_page(browser, stack: Stack, size: dict = PHONE, **options) -> Page:
    """A page in its own context (own storage) whose console errors land in stack.errors."""
    context = browser.new_context(viewport=size, locale="zh-CN", **options)
    stack.contexts.append(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("console", lambda m: _console(stack, page, m))
    page.on("pageerror", lambda e: stack.errors.append(f"{page.url}: {e}"))
    return page


def _console(stack: Stack, page: Page, message) -> None:
    """An error in the console is a failure, except the browser's note on an API refusal (4xx)
    that the page turned into a sentence; a page resource that fails (favicon!) still counts."""
    if message.type != "error":
        return
    url = (message.location or {}).get("url", "")
    refused = re.search(r"status of 4\d\d", message.text) and "/v1/" in url
    if not refused:
        stack.errors.append(f"{page.url}: {message.text} ({url})")


def visible_text(page: Page) -> str:
    return page.evaluate("document.body.innerText")


def assert_chinese(page: Page, besides: str | None = None) -> None:
    """The visible text has no code (PLACED, short_picked) and no Latin word outside brands;
    `besides`: a selector of elements shown as they are (a provider's reference numbers)."""
    text = visible_text(page)
    for shown_as_is in page.locator(besides).all_inner_texts() if besides else []:
        text = text.replace(shown_as_is, " ")
    codes = [c for c in CODE.findall(text) if c not in ALLOWED]
    words = [w for w in LATIN.findall(text) if w not in ALLOWED]
    assert not codes and not words, f"codes {codes} / Latin words {words} on {page.url}:\n{text}"
