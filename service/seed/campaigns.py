"""Seed campaigns: the real city campaigns of the seed article, and the platform's hourly drops."""

from collections.abc import Callable
from datetime import datetime, time, timedelta

from sqlmodel import Session

from service.campaigns.models import Batch, Campaign, CouponTemplate
from service.cities.models import City
from service.cities.service import city_zone
from service.seed.files import read_json


def load_campaigns(
    *, session: Session, cities: dict[str, City], anchor: datetime, get_or_add: Callable
) -> int:
    """Create every seed campaign not yet present; returns how many campaigns the seed defines."""
    data = read_json("campaigns.json")
    specs = list(data["campaigns"])
    named = {spec["city"] for spec in specs}
    default = data["city_default"]
    for code, city in cities.items():
        if code not in named:
            specs.append(_default_campaign(code, city, default))
    for spec in specs:
        _load_city_campaign(session, cities[spec["city"]], spec, anchor, get_or_add)
    for city in cities.values():
        _load_platform_drops(session, city, data["platform_drops"], anchor, get_or_add)
    return len(specs) + len(cities)


def _default_campaign(code: str, city: City, default: dict) -> dict:
    return {
        **default,
        "city": code,
        "issuer_name": f"{city.name}市商务局",
        "name": f"{city.name}{default['name_suffix']}",
        "payment_method": None,
        "categories": [],
        "batches": [
            {
                "name": "第一批",
                "start_days": default["start_days"],
                "end_days": default["end_days"],
                "pack_quota": default["pack_quota"],
            }
        ],
    }


def _load_city_campaign(session, city: City, spec: dict, anchor: datetime, get_or_add) -> None:
    gov, platform, merchant = spec["funding"]
    campaign = get_or_add(
        session,
        Campaign,
        {"city_id": city.id, "name": spec["name"]},
        issuer=spec["issuer"],
        issuer_name=spec["issuer_name"],
        budget_fen=spec["budget_fen"],
        stacks_with_platform=spec["stacks_with_platform"],
        payment_method=spec["payment_method"],
        categories=spec["categories"],
        funding_government_pct=gov,
        funding_platform_pct=platform,
        funding_merchant_pct=merchant,
        starts_at=anchor + timedelta(days=spec["start_days"]),
        ends_at=anchor + timedelta(days=spec["end_days"]),
    )
    for batch in spec["batches"]:
        get_or_add(
            session,
            Batch,
            {"campaign_id": campaign.id, "name": batch["name"]},
            city_id=city.id,
            pack_quota=batch["pack_quota"],
            claim_starts_at=anchor + timedelta(days=batch["start_days"]),
            claim_ends_at=anchor + timedelta(days=batch["end_days"]),
        )
    _load_pack(session, campaign, spec["pack"], None, get_or_add)


def _load_platform_drops(session, city: City, spec: dict, anchor: datetime, get_or_add) -> None:
    zone = city_zone(city)
    first_day = anchor.astimezone(zone).date()
    # One campaign a city (a platform offer dropped city by city), named for its city, so the
    # console's list tells them apart; its batches are the drops, named by day and hour.
    campaign = get_or_add(
        session,
        Campaign,
        {"city_id": city.id, "name": f"{spec['name']} · {city.name}"},
        issuer="platform",
        issuer_name=spec["issuer_name"],
        budget_fen=spec["budget_fen"],
        stacks_with_platform=True,
        categories=[],
        funding_government_pct=0,
        funding_platform_pct=100,
        funding_merchant_pct=0,
        starts_at=anchor - timedelta(days=1),
        ends_at=anchor + timedelta(days=spec["days"] + 4),
    )
    for offset in range(spec["days"]):
        day = first_day + timedelta(days=offset)
        for hour in spec["hours"]:
            opens = datetime.combine(day, time(hour), zone)
            get_or_add(
                session,
                Batch,
                {"campaign_id": campaign.id, "name": f"{day:%m月%d日} {hour}:00"},
                city_id=city.id,
                pack_quota=spec["pack_quota"],
                claim_starts_at=opens,
                claim_ends_at=opens + timedelta(hours=1),
            )
    _load_pack(session, campaign, spec["pack"], spec["valid_hours"], get_or_add)


def _load_pack(session, campaign: Campaign, pack: list, valid_hours: int | None, get_or_add):
    for n, (threshold_fen, discount_fen, quantity) in enumerate(pack, start=1):
        name = f"满{threshold_fen // 100}减{discount_fen // 100} #{n}"
        get_or_add(
            session,
            CouponTemplate,
            {"campaign_id": campaign.id, "name": name},
            city_id=campaign.city_id,
            threshold_fen=threshold_fen,
            discount_fen=discount_fen,
            quantity=quantity,
            valid_hours=valid_hours,
        )
