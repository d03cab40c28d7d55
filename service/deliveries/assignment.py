"""The assignment of one dispatch tick, without the database: great-circle distances, the
plausible (delivery, courier slot) pairs, and the min-cost batch (scipy's
linear_sum_assignment) beside the greedy baseline it is measured against."""

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

EARTH_KM = 6371.0088


@dataclass
class Snapshot:
    """What one tick sees: waiting jobs (oldest first) and free couriers, as arrays."""

    delivery_ids: list[int] = field(default_factory=list)
    store_points: list[tuple[float, float]] = field(default_factory=list)
    passed: list[set[int]] = field(default_factory=list)
    lapsed: list[set[int]] = field(default_factory=list)
    courier_ids: list[int] = field(default_factory=list)
    courier_points: list[tuple[float, float]] = field(default_factory=list)
    free: list[int] = field(default_factory=list)


def distance_matrix(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> np.ndarray:
    """Great-circle km between every point of `a` (rows) and `b` (columns), vectorised."""
    pa, pb = np.radians(np.asarray(a, float)), np.radians(np.asarray(b, float))
    dlat = pa[:, None, 0] - pb[None, :, 0]
    dlon = pa[:, None, 1] - pb[None, :, 1]
    h = (
        np.sin(dlat / 2) ** 2
        + np.cos(pa[:, None, 0]) * np.cos(pb[None, :, 0]) * np.sin(dlon / 2) ** 2
    )
    return 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


def plausible_costs(snap: Snapshot, radius_km: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows kept, courier slot columns, cost) with implausible pairs at +inf.

    A courier with room for k more appears as k columns. Rows: the oldest jobs with at least
    one plausible courier, as many as there are slots (older orders are served first).
    """
    if not snap.delivery_ids or not snap.courier_ids:
        return np.empty(0, int), np.empty(0, int), np.empty((0, 0))
    km = distance_matrix(snap.store_points, snap.courier_points)
    km[km > radius_km] = np.inf
    column_of = {courier_id: n for n, courier_id in enumerate(snap.courier_ids)}
    for row, passed in enumerate(snap.passed):
        km[row, [column_of[c] for c in passed if c in column_of]] = np.inf
        _bar_lapsed(km[row], [column_of[c] for c in snap.lapsed[row] if c in column_of])
    slots = np.repeat(np.arange(len(snap.courier_ids)), snap.free)
    rows = np.flatnonzero(np.isfinite(km).any(axis=1))[: len(slots)]
    return rows, slots, km[np.ix_(rows, slots)]


def _bar_lapsed(row: np.ndarray, lapsed: list[int]) -> None:
    """Couriers who let the offer lapse are barred while another free courier in reach has
    not had it; once none has, they may get it again (a lapse is not a refusal)."""
    if not lapsed:
        return
    others = np.isfinite(row)
    others[lapsed] = False
    if others.any():
        row[lapsed] = np.inf


def batch_pairs(snap: Snapshot, radius_km: float) -> list[tuple[int, int]]:
    """Min-cost assignment over plausible pairs: [(delivery id, courier id)]."""
    rows, slots, cost = plausible_costs(snap, radius_km)
    if cost.size == 0:
        return []
    # linear_sum_assignment needs finite costs: a large one marks the forbidden pairs, which
    # it then uses only when nothing else is left, and those are dropped.
    big = (np.nanmax(cost[np.isfinite(cost)]) + 1) * (len(rows) + 1)
    r, c = linear_sum_assignment(np.where(np.isfinite(cost), cost, big))
    keep = np.isfinite(cost[r, c])
    return [
        (snap.delivery_ids[rows[i]], snap.courier_ids[slots[j]])
        for i, j in zip(r[keep], c[keep], strict=True)
    ]


def greedy_pairs(snap: Snapshot, radius_km: float) -> list[tuple[int, int]]:
    """The baseline: oldest order first takes the nearest free plausible courier."""
    rows, slots, cost = plausible_costs(snap, radius_km)
    cost = cost.copy()
    pairs = []
    for i in range(len(rows)):
        j = int(np.argmin(cost[i]))
        if np.isfinite(cost[i, j]):
            pairs.append((snap.delivery_ids[rows[i]], snap.courier_ids[slots[j]]))
            cost[:, j] = np.inf
    return pairs


def distance_total(snap: Snapshot, pairs: list[tuple[int, int]]) -> float:
    """Total courier-to-store km of the pairs (to compare methods on one snapshot)."""
    store = dict(zip(snap.delivery_ids, snap.store_points, strict=True))
    at = dict(zip(snap.courier_ids, snap.courier_points, strict=True))
    if not pairs:
        return 0.0
    km = distance_matrix([store[d] for d, _ in pairs], [at[c] for _, c in pairs])
    return float(np.trace(km))
