"""A delta feed: the changes since a cursor, which the sync keeps per store.

GET {base_url}/changes?since=CURSOR answers {"changes": [...rows...], "cursor": "...",
"more": bool}; the adapter follows `more` and returns the last cursor, which the sync stores
only once the changes are applied (a failed run resumes from the old cursor).
"""

from store_adapters.base import StockAdapter, StockSnapshot
from store_adapters.http import http_session
from store_adapters.json_api import MAX_PAGES, collect, read_page


class DeltaFeedAdapter(StockAdapter):
    kind = "delta"

    def __init__(
        self, base_url: str, api_key: str | None = None, timeout_s: float = 10.0, retries: int = 3
    ):
        self.base_url, self._key = base_url.rstrip("/"), api_key
        self.timeout_s, self.retries = timeout_s, retries

    def __repr__(self) -> str:
        return f"DeltaFeedAdapter({self.base_url!r})"

    def fetch(self, cursor: str | None = None) -> StockSnapshot:
        rows, rejected = [], []
        headers = {"Authorization": f"Bearer {self._key}"} if self._key else {}
        with http_session(retries=self.retries) as session:
            for _ in range(MAX_PAGES):
                params = {"since": cursor} if cursor else {}
                body = read_page(
                    session, f"{self.base_url}/changes", params, headers, self.timeout_s, "changes"
                )
                collect(body["changes"], rows, rejected, cursor)
                cursor = body.get("cursor", cursor)
                if not body.get("more"):
                    break
        return StockSnapshot(rows=rows, rejected=rejected, full=False, cursor=cursor)
