"""Distances and bounding boxes. geopy measures; the box only narrows what SQL returns."""

import math
from dataclasses import dataclass

from geopy.distance import geodesic, great_circle

KM_PER_DEGREE_LAT = 111.32


@dataclass(frozen=True)
class Box:
    min_lat: float
    max_lat: float
    min_lon: float
    max_lon: float


def bounding_box(lat: float, lon: float, radius_km: float) -> Box:
    """A lat/lon box that contains every point within `radius_km` of (lat, lon)."""
    dlat = radius_km / KM_PER_DEGREE_LAT
    # Widen the longitude span at the box's pole-ward edge, where degrees are shortest.
    edge_lat = min(89.9, abs(lat) + dlat)
    dlon = radius_km / (KM_PER_DEGREE_LAT * math.cos(math.radians(edge_lat)))
    return Box(lat - dlat, lat + dlat, lon - dlon, lon + dlon)


def rough_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance: about 16 us a call, good enough to rank candidates."""
    return great_circle(a, b).km


def exact_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Geodesic (WGS-84) distance: about 0.2 ms a call, for the few distances reported."""
    return geodesic(a, b).km
