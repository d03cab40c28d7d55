"""The process-local caches, registered in one place so tests can start from empty ones.

Each holds data that changes rarely or never (a frozen pack, a city's area) and says in its
own module why its staleness is harmless.
"""

from cachetools import Cache, LRUCache, TTLCache

_all: list[Cache] = []


def ttl_cache(maxsize: int, ttl: float) -> TTLCache:
    """A registered TTL cache."""
    cache = TTLCache(maxsize=maxsize, ttl=ttl)
    _all.append(cache)
    return cache


def lru_cache(maxsize: int) -> LRUCache:
    """A registered LRU cache."""
    cache = LRUCache(maxsize=maxsize)
    _all.append(cache)
    return cache


def clear_all() -> None:
    """Empty every cache (tests do this between cases)."""
    for cache in _all:
        cache.clear()
