"""Each city's shelves in memory: what every store holds, how many and at what price.

Why: a search near a point looks at every matching product in each of the ~340 stores that
can deliver there (to count them and find the lowest price); reading those ~11,000 stock rows
was two thirds of a search's CPU. Here they are a matrix (store x product) per city and
process, filled store by store on first use and checked on EVERY search against
`stores.stock_version`, which triggers (migration 0012) move in the same transaction as any
write to the store's stock rows. A city's shelves are read on its first search in the process
and kept while searched: past HD_SHELVES_MB (256 MB) per process, the cities searched least
lately are dropped, to be read again by their next search. The search reads the versions with
the stores' live state in its one stores query; a store whose version moved is read again
before it is used, so a sale, a sync or a SKU switched off shows in the very next search:
nothing here is stale.
"""

import functools
import os
import threading
import time
from datetime import datetime

import numpy as np
from sqlalchemy import String, bindparam, cast, func, select
from sqlmodel import Session, col

from service import caches
from service.catalog.models import StoreStock

AVAILABLE = col(StoreStock.on_hand) - col(StoreStock.reserved)
IN_STORES = col(StoreStock.store_id).in_(bindparam("store_ids", expanding=True))
# The stores' rows as ONE text "store,product,available,price,store,...": numpy parses it at
# C speed, where fetching ~200 rows a store one by one cost 3 us a row (a city: seconds).
_FIELDS = [
    cast(c, String)
    for c in (StoreStock.store_id, StoreStock.product_id, AVAILABLE, StoreStock.price_fen)
]
READ = select(func.aggregate_strings(functools.reduce(lambda a, b: a + "," + b, _FIELDS), ","))
READ = READ.where(IN_STORES, AVAILABLE > 0)  # a row left out reads as none: apply zeroes first
# Few rows carry a staff "unavailable" switch: read apart, so the bulk read stays integers.
SWITCHED_OFF = select(
    StoreStock.store_id, StoreStock.product_id, StoreStock.unavailable_until
).where(IN_STORES, AVAILABLE > 0, col(StoreStock.unavailable_until).is_not(None))
READ_CHUNK = 500  # stores read per statement
NEVER = 0.0  # `until` of a SKU no one switched off
_cities = caches.lru_cache(maxsize=64)  # city id -> Shelves; emptied with every cache


def max_bytes() -> int:
    """The memory the process's shelves may hold (HD_SHELVES_MB, default 256)."""
    return int(float(os.environ.get("HD_SHELVES_MB", "256")) * 2**20)


class Shelves:
    """One city's stock: available units, price and "unavailable until" per store and product."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rows: dict[int, int] = {}  # store id -> row
        self.cols: dict[int, int] = {}  # product id -> column
        self.version = np.full(0, -1, np.int64)  # per row; -1: never read
        self.available = np.zeros((0, 0), np.int64)
        self.price = np.zeros((0, 0), np.int64)
        self.until = np.zeros((0, 0), np.float64)  # epoch seconds; NEVER when not switched off
        self.searched_at = 0.0  # time.monotonic() of the last search that used them

    def nbytes(self) -> int:
        """Memory held by the matrices."""
        return sum(m.nbytes for m in (self.version, self.available, self.price, self.until))

    def stale(self, store_ids: list[int], versions: list[int]) -> list[tuple[int, int]]:
        """(store id, version) of the stores whose rows are older than `versions`."""
        with self.lock:
            if not self.rows.keys() >= set(store_ids):
                self._grow(store_ids, ())
            rows = self._rows_of(store_ids)
            behind = np.flatnonzero(self.version[rows] < np.asarray(versions, np.int64))
        return [(store_ids[i], versions[i]) for i in behind.tolist()]

    def apply(self, loaded: list[tuple[int, int]], grid: np.ndarray, switched_off: list) -> None:
        """Replace the rows of the stores `loaded` ((id, version)) by their stock, `grid` rows
        (store, product, available, price), and `switched_off` ones (store, product, until)."""
        products = np.unique(grid[:, 1]).tolist()
        with self.lock:
            self._grow((), products)
            newer = {s: v for s, v in loaded if self.version[self.rows[s]] < v}
            rows = [self.rows[s] for s in newer]
            for matrix in (self.available, self.price, self.until):
                matrix[rows] = 0
            keep = np.isin(grid[:, 0], list(newer))
            r, c = self._cells(grid[keep, 0], grid[keep, 1])
            self.available[r, c], self.price[r, c] = grid[keep, 2], grid[keep, 3]
            for store_id, product_id, until in switched_off:
                if store_id in newer:
                    self.until[self.rows[store_id], self.cols[product_id]] = until.timestamp()
            self.version[rows] = list(newer.values())

    def _cells(self, store_ids: np.ndarray, product_ids: np.ndarray) -> tuple:
        """Matrix (rows, columns) of these stores' and products' ids."""
        cells = []
        for ids, index in ((store_ids, self.rows), (product_ids, self.cols)):
            unique, inverse = np.unique(ids, return_inverse=True)
            cells.append(np.array([index[i] for i in unique.tolist()], np.int64)[inverse])
        return tuple(cells)

    def take(self, store_ids: list[int], product_ids: list[int], now: datetime) -> tuple:
        """(product ids held in the city, available, price) for these stores x those products;
        a SKU switched off counts as none, as for an order."""
        with self.lock:
            held = [p for p in product_ids if p in self.cols]
            rows = self._rows_of(store_ids)
            cols = np.fromiter((self.cols[p] for p in held), np.int64, len(held))
            grid = np.ix_(rows, cols)
            available, price, until = self.available[grid], self.price[grid], self.until[grid]
        available[until > now.timestamp()] = 0
        return held, available, price

    def _rows_of(self, store_ids: list[int]) -> np.ndarray:
        return np.array(list(map(self.rows.__getitem__, store_ids)), np.int64)

    def _grow(self, store_ids, product_ids) -> None:
        for store_id in store_ids:
            self.rows.setdefault(store_id, len(self.rows))
        for product_id in product_ids:
            self.cols.setdefault(product_id, len(self.cols))
        height, width = self.available.shape
        if len(self.rows) > height or len(self.cols) > width:
            self._resize(max(height, len(self.rows)), max(width, len(self.cols)))

    def _resize(self, height: int, width: int) -> None:
        height, width = height + height // 2 + 16, width + width // 4 + 16  # room to grow
        self.version = np.concatenate(
            [self.version, np.full(height - len(self.version), -1, np.int64)]
        )
        for name in ("available", "price", "until"):
            old = getattr(self, name)
            new = np.zeros((height, width), old.dtype)
            new[: old.shape[0], : old.shape[1]] = old
            setattr(self, name, new)


def current(
    session: Session, city_id: int, stores: list[tuple[int, int]], *, searched: bool = True
) -> Shelves:
    """The city's shelves with these (store id, stock version) read up to those versions
    (`searched`: for a search, which marks the city as searched now)."""
    shelves = caches.get_or_load(_cities, city_id, Shelves)
    if searched:
        shelves.searched_at = time.monotonic()
    stale = shelves.stale([s for s, _ in stores], [v for _, v in stores])
    for start in range(0, len(stale), READ_CHUNK):
        chunk = stale[start : start + READ_CHUNK]
        params = {"store_ids": [s for s, _ in chunk]}
        # Read after the versions were: the rows hold at least what those versions promise.
        packed = session.execute(READ, params).scalar() or ""
        grid = np.fromstring(packed, dtype=np.int64, sep=",").reshape(-1, 4)
        shelves.apply(chunk, grid, session.execute(SWITCHED_OFF, params).all())
    if stale:
        _bound_memory()
    return shelves


def _bound_memory() -> None:
    # LRUCache.popitem drops the city used least lately; the one just read is the latest.
    with caches.locked(_cities):
        total = sum(shelves.nbytes() for shelves in _cities.values())
        while total > max_bytes() and len(_cities) > 1:
            total -= _cities.popitem()[1].nbytes()


def searched_since(city_id: int, since: float) -> bool:
    """Whether a search used the city's shelves at or after `since` (time.monotonic())."""
    with caches.locked(_cities):
        shelves = _cities.get(city_id)
    return shelves is not None and shelves.searched_at >= since
