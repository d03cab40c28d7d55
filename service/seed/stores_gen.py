"""A deterministic generator of partner stores and their stock around real district centres."""

import math
import random
from collections import Counter

from service.cities.models import City
from service.geo import KM_PER_DEGREE_LAT, rough_km
from service.stores.hours import DAYS


def generate_stores(city: City, districts: list, count: int, chains: dict) -> list[dict]:
    """`count` store rows for `city`; the same inputs always give the same stores."""
    rng = random.Random(f"stores:{city.code}:{count}")
    categories = list(chains)
    weights = [chains[c]["weight"] for c in categories]
    seen: Counter = Counter()
    rows = []
    for _ in range(count):
        category = rng.choices(categories, weights)[0]
        spec = chains[category]
        chain = rng.choice(spec["chains"])
        district, lat, lon = _place(rng, city, districts)
        seen[(chain, district)] += 1
        rows.append(
            {
                "city_id": city.id,
                "chain": chain,
                "name": f"{chain}({district}{seen[(chain, district)]}号店)",
                "categories": [category],
                "lat": round(lat, 6),
                "lon": round(lon, 6),
                "address": f"{city.name}{district}{rng.randint(1, 399)}号",
                "opening_hours": _hours(rng, spec),
                "delivery_radius_km": float(rng.randint(*spec["radius_km"])),
                "prep_minutes": rng.randint(*spec["prep"]),
                "min_basket_fen": rng.randrange(
                    spec["min_basket"][0], spec["min_basket"][1] + 1, 500
                ),
                "max_open_orders": rng.choice([10, 20, 30]),
                "sync_interval_s": rng.choice([120, 300, 600]),
            }
        )
    return rows


def generate_stock(store_id: int, city_id: int, products: list, seed: str) -> list[dict]:
    """Stock rows for one store: most of its categories' products, some sold out."""
    rng = random.Random(f"stock:{seed}")
    rows = []
    for product_id, base_price_fen in products:
        if rng.random() < 0.15:
            continue
        rows.append(
            {
                "city_id": city_id,
                "store_id": store_id,
                "product_id": product_id,
                "on_hand": rng.choice([0, rng.randint(1, 10), rng.randint(10, 60)]),
                "reserved": 0,
                "price_fen": round(base_price_fen * rng.uniform(0.95, 1.05) / 10) * 10,
            }
        )
    return rows


def _place(rng: random.Random, city: City, districts: list) -> tuple[str, float, float]:
    centre = (city.center_lat, city.center_lon)
    while True:
        district, dlat, dlon = rng.choice(districts)
        lat = dlat + rng.gauss(0, 2.5) / KM_PER_DEGREE_LAT
        lon = dlon + rng.gauss(0, 2.5) / (KM_PER_DEGREE_LAT * math.cos(math.radians(dlat)))
        if rough_km(centre, (lat, lon)) <= 0.9 * city.service_radius_km:
            return district, lat, lon


def _hours(rng: random.Random, spec: dict) -> dict:
    if rng.random() < spec["share_24h"]:
        return {"24h": True}
    hours = {day: spec["hours"]["every"] for day in DAYS}
    hours.update({day: spans for day, spans in spec["hours"].items() if day != "every"})
    return hours
