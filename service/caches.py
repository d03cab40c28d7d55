"""The process-local caches, registered in one place so tests can start from empty ones.

Each holds data that changes rarely or never (a frozen pack, a city's area) and says in its
own module why its staleness is harmless. cachetools caches are not thread-safe and a TTL
entry can expire between a membership test and a read, so every access goes through
`get_or_load`, under the cache's lock, reading each entry once.
"""

import threading
from collections.abc import Callable, Hashable
from typing import Any

from cachetools import Cache, LRUCache, TTLCache

_all: dict[int, tuple[Cache, threading.Lock]] = {}
_MISSING = object()


def ttl_cache(maxsize: int, ttl: float) -> TTLCache:
    """A registered TTL cache."""
    return _register(TTLCache(maxsize=maxsize, ttl=ttl))


def lru_cache(maxsize: int) -> LRUCache:
    """A registered LRU cache."""
    return _register(LRUCache(maxsize=maxsize))


def replace(old: Cache, new: Cache) -> Cache:
    """Stop tracking `old` (a registered cache being replaced) and answer `new`, registered."""
    _all.pop(id(old), None)
    return new


def get_or_load(cache: Cache, key: Hashable, load: Callable[[], Any]) -> Any:
    """The cached value for `key`, loading (outside the lock) and storing it on a miss."""
    lock = _all[id(cache)][1]
    with lock:
        value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = load()
        with lock:
            cache[key] = value
    return value


def forget(cache: Cache, key: Hashable) -> None:
    """Drop one entry, if present."""
    with _all[id(cache)][1]:
        cache.pop(key, None)


def locked(cache: Cache) -> threading.Lock:
    """The cache's lock, for a read-modify-write of one entry (`with caches.locked(c): ...`)."""
    return _all[id(cache)][1]


def clear(cache: Cache) -> None:
    """Drop every entry of one cache."""
    with _all[id(cache)][1]:
        cache.clear()


def clear_all() -> None:
    """Empty every cache (tests do this between cases)."""
    for cache, lock in _all.values():
        with lock:
            cache.clear()


def _register(cache: Cache) -> Cache:
    _all[id(cache)] = (cache, threading.Lock())
    return cache
