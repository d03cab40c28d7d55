"""The city report: orders, GMV, cancels, re-routes and matching refusals by reason, store
states, on-time rate."""

from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlmodel import Session, col

from service.deliveries.models import Delivery
from service.orders.models import MatchingRefusal, Order, OrderEvent
from service.reports.facts import SHORT_PICKED, goods_missing, short_picked_goods
from service.reports.span import Span
from service.stores.models import Store

DISCONNECTED_AFTER = timedelta(minutes=5)  # a tablet not polled for this long is disconnected


def figures(session: Session, city_id: int, span: Span, now: datetime) -> dict:
    """Every figure of the city report (placements, cancels, short-picks each on their day)."""
    placed = session.execute(
        select(func.count(), func.sum(col(Order.subtotal_fen))).where(
            col(Order.city_id) == city_id,
            col(Order.placed_at) >= span.start,
            col(Order.placed_at) < span.end,
        )
    ).one()
    cancelled = _by_reason(session, city_id, span, "cancelled", _goods_left())
    rerouted = _by_reason(session, city_id, span, "reassigned", None)
    short_picked = _short_picked(session, city_id, span)
    return {
        "orders": placed[0],
        "gmv_fen": int(placed[1] or 0) - sum(row["fen"] for row in cancelled) - short_picked,
        "cancelled": sum(row["count"] for row in cancelled),
        "cancellations_by_reason": cancelled,
        "short_picked_fen": short_picked,
        "reroutes_by_reason": [{"reason": r["reason"], "count": r["count"]} for r in rerouted],
        "refusals_by_reason": _refusals(session, city_id, span),
        "stores": store_states(session, city_id, now),
        "on_time": _on_time(session, city_id, span),
    }


def _by_reason(session: Session, city_id: int, span: Span, kind: str, amount) -> list[dict]:
    reason = col(OrderEvent.data)["reason"].as_string()
    query = (
        select(reason, func.count(), func.sum(amount if amount is not None else 0))
        .select_from(OrderEvent)
        .join(Order, col(Order.id) == col(OrderEvent.order_id))
        .where(
            col(OrderEvent.city_id) == city_id,
            col(OrderEvent.kind) == kind,
            col(OrderEvent.at) >= span.start,
            col(OrderEvent.at) < span.end,
        )
        .group_by(reason)
        .order_by(func.count().desc())
    )
    return [
        {"reason": r or "unknown", "count": n, "fen": int(fen or 0)}
        for r, n, fen in session.execute(query)
    ]


def _goods_left():
    """SQL: an order's goods not short-picked before (what its cancel takes back)."""
    return col(Order.subtotal_fen) - short_picked_goods()


def _short_picked(session: Session, city_id: int, span: Span) -> int:
    """The goods' value of units short-picked in the range."""
    return int(
        session.execute(
            select(func.sum(goods_missing())).where(
                col(OrderEvent.city_id) == city_id,
                col(OrderEvent.kind) == SHORT_PICKED,
                col(OrderEvent.at) >= span.start,
                col(OrderEvent.at) < span.end,
            )
        ).scalar()
        or 0
    )


def _refusals(session: Session, city_id: int, span: Span) -> list[dict]:
    """Orders no store could take, by reason, over the range's city-local days."""
    refusal = MatchingRefusal
    orders = func.sum(col(refusal.orders))
    rows = session.execute(
        select(col(refusal.reason), orders, func.sum(col(refusal.stores)))
        .where(
            col(refusal.city_id) == city_id,
            col(refusal.day) >= span.first,
            col(refusal.day) <= span.last,
        )
        .group_by(col(refusal.reason))
        .order_by(orders.desc(), col(refusal.reason))
    ).all()
    return [{"reason": r, "orders": int(n), "stores": int(s or 0)} for r, n, s in rows]


def store_states(session: Session, city_id: int, now: datetime) -> dict:
    """How many stores are open, paused, disconnected (tablet not polled), stale (sync old)."""
    state = _state_case(now)
    rows = session.execute(
        select(state, func.count()).where(col(Store.city_id) == city_id).group_by(state)
    ).all()
    return {"open": 0, "paused": 0, "disconnected": 0, "stale": 0, **dict(rows)}


def _state_case(now: datetime):
    """SQL: a store's state, the first that applies: paused, disconnected, stale, open."""
    stale_before = now - _stale_after()
    return case(
        (col(Store.paused), "paused"),
        (col(Store.last_polled_at) < now - DISCONNECTED_AFTER, "disconnected"),
        (col(Store.last_synced_at) < stale_before, "stale"),
        else_="open",
    )


def _stale_after() -> timedelta:
    return timedelta(minutes=30)  # stock older than this is not trusted for matching


def store_map(session: Session, city_id: int, now: datetime) -> list[dict]:
    """Every store of the city with its position and state, for the console's map."""
    rows = session.execute(
        select(
            col(Store.id),
            col(Store.name),
            col(Store.chain),
            col(Store.lat),
            col(Store.lon),
            _state_case(now),
        )
        .where(col(Store.city_id) == city_id)
        .order_by(col(Store.id))
    ).all()
    return [dict(zip(("id", "name", "chain", "lat", "lon", "state"), r, strict=True)) for r in rows]


def _on_time(session: Session, city_id: int, span: Span) -> dict:
    on_time = case((col(Delivery.delivered_at) <= col(Order.promised_at), 1), else_=0)
    delivered, in_time = session.execute(
        select(func.count(), func.sum(on_time))
        .select_from(Delivery)
        .join(Order, col(Order.id) == col(Delivery.order_id))
        .where(
            col(Delivery.city_id) == city_id,
            col(Delivery.delivered_at) >= span.start,
            col(Delivery.delivered_at) < span.end,
        )
    ).one()
    return {
        "delivered": delivered,
        "on_time": int(in_time or 0),
        "rate": round(int(in_time or 0) / delivered, 4) if delivered else None,
    }
