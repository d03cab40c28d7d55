"""A chain's stock service: paginated JSON over HTTP, authorised by a bearer key.

GET {base_url}/stock?page=N answers {"items": [{sku, on_hand, price_fen, updated_at?}],
"next_page": N+1 or null, "total": rows in the whole listing}. Reading fewer rows than
`total` means the listing was cut off.
"""

from store_adapters.base import FeedError, StockAdapter, StockSnapshot, parse_row
from store_adapters.http import get, http_session

MAX_PAGES = 10_000  # a service that never stops paging is broken, not large


class JsonApiAdapter(StockAdapter):
    kind = "json_api"

    def __init__(self, base_url: str, api_key: str, timeout_s: float = 10.0, retries: int = 3):
        self.base_url, self._key = base_url.rstrip("/"), api_key
        self.timeout_s, self.retries = timeout_s, retries

    def __repr__(self) -> str:  # the key stays out of logs and tracebacks
        return f"JsonApiAdapter({self.base_url!r})"

    def fetch(self, cursor: str | None = None) -> StockSnapshot:
        rows, rejected, total, page = [], [], None, 1
        unsure: set[str] = set()
        headers = {"Authorization": f"Bearer {self._key}"}
        with http_session(retries=self.retries) as session:
            for _ in range(MAX_PAGES):
                body = read_page(
                    session,
                    f"{self.base_url}/stock",
                    {"page": page},
                    headers,
                    self.timeout_s,
                    "items",
                )
                collect(body["items"], rows, rejected, page, unsure)
                total = body.get("total", total)
                page = body.get("next_page")
                if not page:
                    break
        read = len(rows) + len(rejected)
        return StockSnapshot(
            rows=rows,
            rejected=rejected,
            unsure=unsure,
            complete=not isinstance(total, int) or read >= total,
        )


def read_page(session, url: str, params: dict, headers: dict, timeout_s: float, key: str) -> dict:
    """One JSON page that must hold a list under `key`; anything else is a FeedError."""
    response = get(session, url, timeout_s=timeout_s, params=params, headers=headers)
    try:
        body = response.json()
    except ValueError:
        raise FeedError(f"page {params} is not JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get(key), list):
        raise FeedError(f"page {params} has no {key} list")
    return body


def collect(items: list, rows: list, rejected: list, page, unsure: set | None = None) -> None:
    """Parse one page's items into `rows`, listing the bad ones in `rejected` (and their SKUs,
    where readable, in `unsure`)."""
    for n, item in enumerate(items):
        row = parse_row(item) if isinstance(item, dict) else None
        if row is None:
            rejected.append(f"page {page} item {n}: {str(item)[:80]}")
            if unsure is not None and isinstance(item, dict) and item.get("sku"):
                unsure.add(str(item["sku"]).strip())
        else:
            rows.append(row)
