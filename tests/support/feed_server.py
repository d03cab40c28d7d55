"""A local HTTP server for adapter tests, serving the sample feeds in fixtures/feeds/.

Switches (set on `server.switches`): `slow_s` (sleep before answering), `hold` (a
threading.Event each request waits for before answering; `server.holding` is set once one
waits), `fail_first`
(answer 500 to that many requests first), `api_key` (the bearer key it accepts),
`truncate` (cut CSV before its trailer; JSON: claim more rows than served), `bad_page` (the
page number answered with broken JSON).
"""

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

FEEDS = Path(__file__).resolve().parents[2] / "fixtures" / "feeds"
API_KEY = "sk-test-7f3a9c"
HOLD_AT_MOST_S = 60  # a test that never releases its hold still ends


class FeedServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.switches: dict = {"api_key": API_KEY}
        self.hits = 0
        self.seen_auth: list[str] = []
        self.holding = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextmanager
def feed_server() -> Iterator[FeedServer]:
    """A running FeedServer on a free loopback port, stopped afterwards."""
    server = FeedServer()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: FeedServer

    def log_message(self, *args):  # quiet: the tests read outcomes, not access logs
        pass

    def do_GET(self):
        switches, self.server.hits = self.server.switches, self.server.hits + 1
        time.sleep(switches.get("slow_s", 0))
        if "hold" in switches:
            self.server.holding.set()
            switches["hold"].wait(HOLD_AT_MOST_S)
        if switches.get("fail_first", 0) > 0:
            switches["fail_first"] -= 1
            return self._send(500, b"boom", "text/plain")
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path.startswith("/csv/"):
            return self._csv(url.path.removeprefix("/csv/"))
        auth = self.headers.get("Authorization", "")
        self.server.seen_auth.append(auth)
        if auth != f"Bearer {switches['api_key']}":
            return self._send(401, b'{"error": "bad key"}')
        if url.path == "/stock":
            return self._stock_page(int(query.get("page", 1)))
        if url.path == "/changes":
            return self._changes(query.get("since"))
        self._send(404, b"{}")

    def _csv(self, name: str):
        data = (FEEDS / name).read_bytes()
        if self.server.switches.get("truncate"):
            data = b"\n".join(data.splitlines()[:-3])
        self._send(200, data, "text/csv")

    def _stock_page(self, page: int):
        feed = json.loads((FEEDS / "stock_api.json").read_text())
        size, items = feed["page_size"], feed["items"]
        if page == self.server.switches.get("bad_page"):
            return self._send(200, b'{"items": [ {"sku": ')
        chunk = items[(page - 1) * size : page * size]
        total = len(items) + (5 if self.server.switches.get("truncate") else 0)
        more = page * size < len(items)
        self._json({"items": chunk, "next_page": page + 1 if more else None, "total": total})

    def _changes(self, since: str | None):
        batches = json.loads((FEEDS / "delta_feed.json").read_text())["batches"]
        cursors = [b["cursor"] for b in batches]
        start = cursors.index(since) + 1 if since in cursors else 0
        if start >= len(batches):
            return self._json({"changes": [], "cursor": since, "more": False})
        batch = batches[start]
        self._json(
            {
                "changes": batch["changes"],
                "cursor": batch["cursor"],
                "more": start + 1 < len(batches),
            }
        )

    def _json(self, body: dict):
        self._send(200, json.dumps(body).encode())

    def _send(self, status: int, body: bytes, kind: str = "application/json"):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
