"""Before the run: the people, tokens, stores' intake modes and the coupon drop a scenario
needs, made with the service's own functions (never raw SQL), in one transaction."""

import math
import random
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from service.auth.models import Role
from service.auth.service import issue_token
from service.campaigns.admin import create_campaign
from service.campaigns.parts import add_batch, add_template
from service.campaigns.schemas import BatchCreate, CampaignCreate, TemplateCreate
from service.catalog.models import StoreStock
from service.cities.models import City
from service.geo import KM_PER_DEGREE_LAT
from service.people.models import Consumer, Courier, Operator
from service.simulate.scenario import Scenario
from service.stores.hours import is_open
from service.stores.models import Store
from service.tablet.schemas import IntakeIn
from service.tablet.switches import change_store

# A simulated courier's round trip takes real seconds, `speed` times as many business seconds:
# at 120x the city's 30 s offer window and 60 s position freshness were 0.25 s and 0.5 s of real
# time, less than a loaded service takes to answer, and every offer lapsed before any courier
# read it. The windows a round trip must fit in hold this many real seconds, as the tablets'
# silence (HD_TABLET_SILENCE_S) holds a real minute.
ROUND_TRIP_REAL_S = 10


def prepare_world(*, session: Session, scenario: Scenario, now: datetime) -> dict:
    """Create everything the run needs; answer the tokens and ids the actors use (JSON-able)."""
    rng = random.Random(scenario.seed)
    city = session.exec(select(City).where(City.code == scenario.city)).one()
    _fit_windows_to_speed(city, scenario.speed)
    operator = Operator(name=f"simulator-{secrets.token_hex(4)}")
    session.add(operator)
    session.flush()
    token = _token_maker(session, now)
    return {
        "city": {"id": city.id, "speed_kmh": city.courier_speed_kmh},
        "operator": token(Role.OPERATOR, operator.id),
        "stores": _stores(session, scenario, city, operator.id, rng, now, token),
        "consumers": _consumers(session, scenario, city, rng, now, token),
        "couriers": _couriers(session, scenario, city, rng, token, now),
        "campaign_id": _campaign(session, scenario, city, operator, now),
    }


def _fit_windows_to_speed(city: City, speed: float) -> None:
    """Stretch the city's courier windows to ROUND_TRIP_REAL_S of real time at `speed` (never
    shorter than the city's own); the services read the city within their cache's minute."""
    window = math.ceil(ROUND_TRIP_REAL_S * speed)
    city.offer_timeout_s = max(city.offer_timeout_s, window)
    city.location_fresh_s = max(city.location_fresh_s, window)


def _token_maker(session: Session, now: datetime):
    def token(role: Role, principal_id: int) -> str:
        return issue_token(
            session=session, role=role, principal_id=principal_id, now=now, label="simulator"
        )[1]

    return token


def _stores(session, scenario, city, operator_id, rng, now, token) -> list[dict]:
    """The stores in play: nearest the centre, open at the drop, with goods on the shelf."""
    lat0, lon0 = scenario.consumers["centre"]
    stocked = select(StoreStock.store_id).where(col(StoreStock.on_hand) > 0)
    rows = session.exec(
        select(Store).where(Store.city_id == city.id, col(Store.active), col(Store.id).in_(stocked))
    ).all()
    rows = [s for s in rows if is_open(s.opening_hours, scenario.drop_at)]
    rows.sort(key=lambda s: _km(lat0, lon0, s.lat, s.lon))
    _pause_the_rest(session, scenario, rows[scenario.stores["count"] :], operator_id, now)
    stores = []
    for store in rows[: scenario.stores["count"]]:
        mode = "tablet" if rng.random() < scenario.stores["tablet_share"] else "auto_accept"
        change_store(
            session=session,
            store_id=store.id,
            operator_id=operator_id,
            now=now,
            change=IntakeIn(intake_mode=mode, paused=False),
        )
        stores.append(
            {
                "id": store.id,
                "mode": mode,
                "prep_minutes": store.prep_minutes,
                "category": (store.categories or ["other"])[0],
                "token": token(Role.STORE, store.id),
            }
        )
    return stores


def _pause_the_rest(session, scenario, rest: list[Store], operator_id: int, now) -> None:
    """Pause (audited) the other stores that reach the consumers' area: an order re-matched
    after a reject or a timeout must land on a store whose staff are simulated."""
    lat0, lon0 = scenario.consumers["centre"]
    for store in rest:
        if _km(lat0, lon0, store.lat, store.lon) <= (
            scenario.consumers["radius_km"] + store.delivery_radius_km
        ):
            change_store(
                session=session,
                store_id=store.id,
                operator_id=operator_id,
                now=now,
                change=IntakeIn(paused=True),
            )


def _consumers(session, scenario, city, rng, now, token) -> list[dict]:
    spec = scenario.consumers
    # Verified numbers (+86170…): claims bind the per-person limit to a verified number.
    base = secrets.randbelow(10**8 - spec["count"])
    people = [
        Consumer(
            name=f"模拟顾客{n}",
            phone=f"+86170{base + n:08d}",
            home_city_id=city.id,
            created_at=now,
            phone_verified_at=now,
        )
        for n in range(spec["count"])
    ]
    session.add_all(people)
    session.flush()
    return [
        {
            "id": p.id,
            "token": token(Role.CONSUMER, p.id),
            "home": _near(rng, *spec["centre"], spec["radius_km"]),
        }
        for p in people
    ]


def _couriers(session, scenario, city, rng, token, now) -> list[dict]:
    spec, base = scenario.couriers, secrets.randbelow(10**8 - scenario.couriers["count"])
    lat0, lon0 = scenario.consumers["centre"]
    riders = [
        Courier(
            city_id=city.id,
            name=f"模拟骑手{n}",
            phone=f"+86171{base + n:08d}",
            speed_kmh=city.courier_speed_kmh,
            phone_verified_at=now,
        )
        for n in range(spec["count"])
    ]
    session.add_all(riders)
    session.flush()
    shifts = spec["shifts"]
    return [
        {
            "id": r.id,
            "token": token(Role.COURIER, r.id),
            "shift": shifts[n % len(shifts)],
            "at": _near(rng, lat0, lon0, scenario.consumers["radius_km"]),
        }
        for n, r in enumerate(riders)
    ]


def _campaign(session, scenario, city, operator, now) -> int:
    """The city's coupon drop: one campaign, one batch opening at the drop, the pack."""
    drop, at = scenario.drop, scenario.drop_at
    government, platform, merchant = drop["funding"]
    taken = session.exec(select(func.count()).select_from(Operator)).one()
    campaign_in = CampaignCreate(
        city_id=city.id,
        issuer="city",
        issuer_name="模拟商务局",
        name=f"模拟消费券 {taken}",
        budget_fen=drop["budget_fen"],
        funding_government_pct=government,
        funding_platform_pct=platform,
        funding_merchant_pct=merchant,
        starts_at=scenario.start - timedelta(hours=1),
        ends_at=scenario.end + timedelta(days=1),
    )
    campaign = create_campaign(session=session, operator=operator, now=now, campaign_in=campaign_in)
    closes = at + timedelta(minutes=drop["claim_minutes"])
    add_batch(
        session=session,
        operator=operator,
        campaign_id=campaign.id,
        now=now,
        batch_in=BatchCreate(
            name="第一批", claim_starts_at=at, claim_ends_at=closes, pack_quota=drop["quota"]
        ),
    )
    for threshold, discount, quantity in drop["pack"]:
        add_template(
            session=session,
            operator=operator,
            campaign_id=campaign.id,
            now=now,
            template_in=TemplateCreate(
                name=f"满{threshold // 100}减{discount // 100}",
                threshold_fen=threshold,
                discount_fen=discount,
                quantity=quantity,
            ),
        )
    return campaign.id


def _near(rng: random.Random, lat: float, lon: float, radius_km: float) -> list[float]:
    """A random point within `radius_km` of (lat, lon), uniform over the disc."""
    r, a = radius_km * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
    north, east = r * math.cos(a), r * math.sin(a)
    return [
        round(lat + north / KM_PER_DEGREE_LAT, 6),
        round(lon + east / (KM_PER_DEGREE_LAT * math.cos(math.radians(lat))), 6),
    ]


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    north = (lat2 - lat1) * KM_PER_DEGREE_LAT
    east = (lon2 - lon1) * KM_PER_DEGREE_LAT * math.cos(math.radians(lat1))
    return math.hypot(north, east)
