"""The people of a bench city's evening: tablet stores with their tokens, couriers, consumers
and a campaign to claim from (city_load and server_ir seed the same world at their sizes)."""

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update

from service.cities.models import City
from service.db import Database, make_engine
from service.stores.models import Store
from tests.bench._bench_city import DISC_KM
from tests.support.deliveries import make_couriers, point
from tests.support.factories import make_campaign, make_consumers
from tests.support.tablets import store_token


@dataclass(frozen=True)
class People:
    tablets: list  # (store id, token, lat, lon)
    couriers: list  # (token, lat, lon)
    consumers: list  # tokens
    campaign_id: int


def seed_people(
    url: str,
    *,
    rng: random.Random,
    tablets: int,
    couriers: int,
    consumers: int,
    quota: int,
    budget_fen: int,
) -> People:
    """Tablet stores (24 h, room for orders) with tokens, couriers, consumers, a campaign."""
    now = datetime.now(UTC)
    engine = make_engine(url)
    with Database(engine).unit_of_work() as session:
        city = session.execute(select(City).where(City.code == "benchcity")).scalar_one()
        rows = session.execute(
            select(Store.id, Store.lat, Store.lon)
            .where(Store.city_id == city.id)
            .order_by(Store.id)
            .limit(tablets)
        ).all()
        session.execute(
            update(Store)
            .where(Store.id.in_([r.id for r in rows]))
            .values(
                intake_mode="tablet",
                last_polled_at=now,
                opening_hours={"24h": True},
                max_open_orders=10_000,
                min_basket_fen=0,
            )
        )
        stores = [(r.id, store_token(session, r.id, now), r.lat, r.lon) for r in rows]
        offsets = [_offset(rng) for _ in range(couriers)]
        made = make_couriers(session, city, offsets, now)
        riders = [(t, *point(city, *o)) for (_, t), o in zip(made, offsets, strict=True)]
        people = [t for _, t in make_consumers(session, consumers, now)]
        campaign, _ = make_campaign(
            session, now, code="benchcity", quota=quota, budget_fen=budget_fen
        )
        campaign_id = campaign.id
    engine.dispose()
    return People(stores, riders, people, campaign_id)


def _offset(rng: random.Random) -> tuple[float, float]:
    """(north_km, east_km) of a point uniform in the bench city's disc."""
    r, angle = (DISC_KM - 1) * math.sqrt(rng.random()), rng.random() * 2 * math.pi
    return r * math.cos(angle), r * math.sin(angle)
