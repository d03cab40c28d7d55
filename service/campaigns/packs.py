"""A campaign's pack: the coupon templates one claim issues, cached once the pack is frozen."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlmodel import Session, col

from service import caches
from service.campaigns.models import CouponTemplate

PACK_QUERY = (
    select(
        CouponTemplate.id,
        CouponTemplate.threshold_fen,
        CouponTemplate.discount_fen,
        CouponTemplate.quantity,
        CouponTemplate.categories,
        CouponTemplate.valid_from,
        CouponTemplate.valid_until,
        CouponTemplate.valid_hours,
    )
    .where(col(CouponTemplate.campaign_id) == bindparam("campaign_id"))
    .order_by(CouponTemplate.id)
)


@dataclass(frozen=True)
class PackItem:
    id: int
    threshold_fen: int
    discount_fen: int
    quantity: int
    categories: list | None
    valid_from: datetime | None
    valid_until: datetime | None
    valid_hours: int | None


# Keyed by (campaign, pack_version): every change of a pack moves the version, so an entry can
# only be used by a claim that read that version, and such a claim commits only if the version
# is still current when it takes the budget (tally.TAKE_BUDGET). An old entry is never served
# for the current pack; it just ages out.
_packs = caches.lru_cache(maxsize=4096)


def pack_of(session: Session, campaign_id: int, *, version: int) -> tuple[PackItem, ...]:
    """The campaign's pack templates at `version`, from memory after the first load."""
    return caches.get_or_load(_packs, (campaign_id, version), lambda: _load(session, campaign_id))


def _load(session: Session, campaign_id: int) -> tuple[PackItem, ...]:
    rows = session.connection().execute(PACK_QUERY, {"campaign_id": campaign_id})
    return tuple(PackItem(*row) for row in rows)


def pack_value(pack) -> int:
    """Face value of one pack: what a claim adds to the campaign's issued_fen."""
    return sum(item.discount_fen * item.quantity for item in pack)
