"""The next claim window of each campaign at a point: the shop's countdown to the next drop."""

from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session, col

from service.campaigns.models import Batch, Campaign
from service.campaigns.schemas import UpcomingBatchRead, UpcomingRead
from service.cities.service import city_for_point, city_zone

NEXT = (
    select(Campaign.id, Campaign.name, Campaign.issuer_name, func.min(Batch.claim_starts_at))
    .join(Batch, col(Batch.campaign_id) == col(Campaign.id))
    .group_by(Campaign.id, Campaign.name, Campaign.issuer_name)
    .order_by(func.min(Batch.claim_starts_at), Campaign.id)
)


def upcoming_batches(*, session: Session, lat: float, lon: float, now: datetime) -> UpcomingRead:
    """Campaigns of the city at the point with a batch still to open, soonest first."""
    city = city_for_point(session=session, lat=lat, lon=lon)
    zone = city_zone(city)
    rows = session.execute(
        NEXT.where(
            col(Campaign.city_id) == city.id,
            ~col(Campaign.paused),
            col(Campaign.ends_at) > now,
            col(Batch.claim_starts_at) > now,
        )
    ).all()
    return UpcomingRead(
        city=city.code,
        upcoming=[
            UpcomingBatchRead(
                campaign_id=cid, name=name, issuer_name=issuer, opens_at=opens.astimezone(zone)
            )
            for cid, name, issuer, opens in rows
        ],
    )
