"""One HTTP client for every adapter: timeouts, and retries with backoff by urllib3's Retry.

requests + urllib3 Retry rather than a loop of our own: it already handles backoff with
jitter, Retry-After, which methods and statuses are safe to retry, and connection errors.
"""

from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from store_adapters.base import FeedError

RETRY_STATUSES = (429, 500, 502, 503, 504)


def http_session(*, retries: int = 3, backoff_s: float = 0.2) -> requests.Session:
    """A session that retries GETs on connection errors and 429/5xx, backing off exponentially."""
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=backoff_s,
        backoff_jitter=backoff_s / 2,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET"}),
        raise_on_status=False,
    )
    session = requests.Session()
    session.mount("http://", HTTPAdapter(max_retries=retry))
    session.mount("https://", HTTPAdapter(max_retries=retry))
    return session


def get(
    session: requests.Session, url: str, *, timeout_s: float, **kwargs: Any
) -> requests.Response:
    """GET `url`; any failure is a FeedError naming the host only (never headers or query)."""
    where = urlsplit(url).netloc
    try:
        response = session.get(url, timeout=timeout_s, **kwargs)
    except requests.RequestException as error:
        # After retries a read timeout surfaces as a ConnectionError wrapping it.
        if isinstance(error, requests.Timeout) or "timed out" in str(error):
            raise FeedError(f"{where}: timed out after {timeout_s}s") from None
        raise FeedError(f"{where}: unreachable ({type(error).__name__})") from None
    if response.status_code in (401, 403):
        raise FeedError(f"{where}: credentials refused (HTTP {response.status_code})")
    if response.status_code != 200:
        raise FeedError(f"{where}: HTTP {response.status_code}")
    return response
