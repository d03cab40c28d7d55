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
    )  # fmt: skip
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


# Once a pack has been claimed it can no longer change (admin.add_template refuses), so a
# frozen pack is safe to keep in memory for the life of the process.
_frozen = caches.lru_cache(maxsize=4096)


def pack_of(session: Session, campaign_id: int, *, frozen: bool) -> tuple[PackItem, ...]:
    """The campaign's pack templates; from memory when the pack is frozen."""
    if frozen:
        return caches.get_or_load(_frozen, campaign_id, lambda: _load(session, campaign_id))
    return _load(session, campaign_id)


def _load(session: Session, campaign_id: int) -> tuple[PackItem, ...]:
    rows = session.connection().execute(PACK_QUERY, {"campaign_id": campaign_id})
    return tuple(PackItem(*row) for row in rows)


def pack_value(pack) -> int:
    """Face value of one pack: what a claim adds to the campaign's issued_fen."""
    return sum(item.discount_fen * item.quantity for item in pack)
