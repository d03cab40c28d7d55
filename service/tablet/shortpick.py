"""Short-picking a line: refund what the consumer paid for the missing units, to the fen.

The missing units' part of a line is split off by the pricing allocation (pro rata by units,
largest remainder): of the line's payable (amount less its promotion and coupon shares) and
of its coupon share. Discounts granted on the delivered units stay, the fee never changes,
nothing is charged. The coupon's spend falls by the missing coupon share, split between its
funders by the campaign's percentages. Short-picking every line cancels the order.

Locks (service/orders/locks.py): the store row, the order row, then the line (an UPDATE
conditional on the units it still holds), the stock rows, the campaign. A short-pick racing a
cancel reads the cancelled status under the lock and answers 409; two short-picks of one line
cannot both release its units.
"""

from datetime import datetime

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from service.campaigns.models import Campaign, Coupon
from service.campaigns.redemption import move_redeemed
from service.errors import Conflict, InvalidInput, NotFound
from service.orders import ledger, states
from service.orders.lifecycle import cancel_order, line_quantities
from service.orders.locks import lock_order
from service.orders.models import Order, OrderLine
from service.orders.stock import release_lines
from service.pricing.allocation import allocate
from service.pricing.terms import FUNDERS


def short_pick(
    *, session: Session, store_id: int, order_id: int, line_id: int, picked_qty: int, now: datetime
) -> Order:
    """Mark a line of an ACCEPTED order short: `picked_qty` of it (fewer than held) go out."""
    order = lock_order(session, order_id, store_id=store_id)
    if order.status != states.ACCEPTED:
        raise Conflict(
            f"lines are short-picked while picking (ACCEPTED), not {order.status}",
            code="invalid_transition",
            field="status",
            details={"status": order.status},
        )
    line = session.get(OrderLine, line_id, populate_existing=True)
    if line is None or line.order_id != order.id:
        raise NotFound(f"no line {line_id} in this order", field="line_id")
    held = line.qty if line.picked_qty is None else line.picked_qty
    if picked_qty >= line.qty:
        raise InvalidInput(f"the line holds {held}; short-pick means fewer", field="picked_qty")
    if picked_qty >= held:  # short-picked meanwhile (another tablet): a conflict, not bad input
        raise Conflict(
            f"the line holds {held} now; reload the order",
            code="invalid_transition",
            field="picked_qty",
            details={"status": order.status, "held": held},
        )
    refund, coupon_back = missing_part(line, held - picked_qty)
    _take_from_line(session, order, line, held, picked_qty)
    release_lines(session, order.store_id, {line.product_id: held - picked_qty})
    funding = _give_back_coupon_spend(session, order, coupon_back)
    ledger.refund(session, order, now, "short_pick", amount_fen=refund, key=f"-s{line.id}-{held}")
    states.record(
        session,
        order,
        kind="short_picked",
        actor_role="store",
        actor_id=store_id,
        now=now,
        data={
            "line_id": line.id,
            "sku": line.sku,
            "picked_qty": picked_qty,
            "missing": held - picked_qty,
            "refund_fen": refund,
            "goods_fen": line.unit_price_fen * (held - picked_qty),
            "coupon_fen": coupon_back,
            "funding": funding,
        },
    )
    session.flush()
    if not line_quantities(session, order.id):  # nothing left to deliver
        cancel_order(
            session=session,
            order=order,
            reason="short_picked",
            actor_role="store",
            actor_id=store_id,
            now=now,
        )
    return order


def _take_from_line(
    session: Session, order: Order, line: OrderLine, held: int, picked_qty: int
) -> None:
    # Conditional on what the line still holds: its units are released exactly once.
    taken = session.execute(
        update(OrderLine)
        .where(
            col(OrderLine.id) == line.id,
            func.coalesce(col(OrderLine.picked_qty), col(OrderLine.qty)) == held,
        )
        .values(picked_qty=picked_qty)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        raise Conflict(
            "the line changed meanwhile; reload the order",
            code="invalid_transition",
            details={"status": order.status},
        )
    line.picked_qty = picked_qty


def missing_part(line: OrderLine, missing: int) -> tuple[int, int]:
    """(paid, coupon share) of `missing` more units of the line, to the fen.

    Pro rata over the line's ordered units (the missing ones first), largest remainder.
    """
    held = line.qty if line.picked_qty is None else line.picked_qty
    done = line.qty - held  # units short-picked before: their part went back then
    units = [missing, held - missing] + ([done] if done else [])
    paid = line.amount_fen - line.promotion_share_fen - line.coupon_share_fen
    return allocate(paid, units)[0], allocate(line.coupon_share_fen, units)[0]


def _give_back_coupon_spend(session: Session, order: Order, coupon_fen: int) -> dict:
    if order.coupon_id is None or not coupon_fen:
        return {}
    campaign = session.execute(
        select(Campaign)
        .join(Coupon, col(Coupon.campaign_id) == col(Campaign.id))
        .where(col(Coupon.id) == order.coupon_id)
    ).scalar_one()
    # The discount still granted: a later cancel gives back only that much.
    lowered = session.execute(
        update(Order)
        .where(col(Order.id) == order.id, col(Order.coupon_fen) >= coupon_fen)
        .values(coupon_fen=col(Order.coupon_fen) - coupon_fen)
        .execution_options(synchronize_session=False)
    ).rowcount
    if lowered != 1:
        raise Conflict(
            "the coupon's spend was given back already",
            code="invalid_transition",
            details={"status": order.status},
        )
    order.coupon_fen -= coupon_fen
    move_redeemed(session, campaign.id, -coupon_fen)
    pct = [
        campaign.funding_government_pct,
        campaign.funding_platform_pct,
        campaign.funding_merchant_pct,
    ]
    return dict(zip(FUNDERS, allocate(coupon_fen, pct), strict=True))
