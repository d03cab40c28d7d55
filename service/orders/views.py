"""Building order read models, with times in the city's own zone."""

from sqlalchemy import select
from sqlmodel import Session, col

from service.cities.service import cached_city, zone_named
from service.orders import money
from service.orders.models import Order, OrderEvent, OrderLine
from service.orders.schemas import OrderEventRead, OrderLineRead, OrderRead, StoreRef
from service.stores.models import Store


def order_read(
    session: Session,
    order: Order,
    distance_km: float | None = None,
    *,
    store=None,
    lines: list[dict] | None = None,
    events: list[dict] | None = None,
    opened=None,
) -> OrderRead:
    """The order as its consumer sees it: store, money, lines and the event timeline.

    The placement passes the store, lines, events and the payment (`opened`) it has just
    written, saving the reads: a new order has nothing paid, refunded or pending yet.
    """
    zone = zone_named(cached_city(session, order.city_id).timezone)
    store = store or session.get(Store, order.store_id)
    if lines is None:
        query = select(OrderLine).where(col(OrderLine.order_id) == order.id).order_by(OrderLine.id)
        lines = [line.model_dump() for line in session.execute(query).scalars()]
    if events is None:
        query = select(OrderEvent).where(col(OrderEvent.order_id) == order.id)
        events = [e.model_dump() for e in session.execute(query.order_by(OrderEvent.id)).scalars()]
    return OrderRead(
        **order.model_dump(
            include={
                "id",
                "status",
                "address",
                "payment_method",
                "subtotal_fen",
                "promotion_fen",
                "coupon_fen",
                "delivery_fee_fen",
                "payable_fen",
                "coupon_id",
                "handoff_code",
                "cancel_reason",
            }
        ),
        store=StoreRef(
            id=store.id,
            name=store.name,
            address=store.address,
            lat=store.lat,
            lon=store.lon,
            distance_km=None if distance_km is None else round(distance_km, 3),
        ),
        placed_at=order.placed_at.astimezone(zone),
        promised_at=order.promised_at.astimezone(zone),
        eta_at=order.eta_at.astimezone(zone),
        **(_money(session, order.id, zone) if opened is None else _unpaid(opened, zone)),
        lines=[OrderLineRead(**line) for line in lines],
        events=[OrderEventRead(**{**e, "at": e["at"].astimezone(zone)}) for e in events],
        short_pick=money.short_pick(lines, events),
    )


def _money(session: Session, order_id: int, zone) -> dict:
    from service.payments.views import money_of, payment_read  # payments builds on orders

    # paid and refunded come from the ledger (money.money_fields); pending refunds from here
    found = money_of(session, order_id)
    payment = found["payment"]
    return {
        "refund_pending_fen": found["refund_pending_fen"],
        "payment": payment_read(payment, zone) if payment else None,
        **money.money_fields(session, order_id),
    }


def _unpaid(payment, zone) -> dict:
    from service.payments.views import payment_read

    # an order in its placing transaction: no ledger entry and no refund exist for it yet
    return {
        "refund_pending_fen": 0,
        "payment": payment_read(payment, zone),
        "paid_fen": 0,
        "refunded_fen": 0,
        "net_fen": 0,
    }
