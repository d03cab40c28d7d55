"""History: each order's transition events form a legal chain that ends at its status.

Window functions (PostgreSQL, SQLite >= 3.25) read every chain in one pass over the
(order_id, id) index.
"""

from sqlalchemy import and_, func, or_, select
from sqlmodel import Session, col

from service.checks.differences import Difference
from service.orders import states
from service.orders.models import Order, OrderEvent


def history_differences(session: Session) -> list[Difference]:
    """Steps that no transition allows, from_status other than the step before, and orders
    whose status is not where their chain ends."""
    return _illegal_steps(session) + _chain_ends(session)


def _illegal_steps(session: Session) -> list[Difference]:
    # every chain starts at AWAITING_PAYMENT (an order is created waiting for its payment)
    before = func.coalesce(
        func.lag(col(OrderEvent.to_status)).over(
            partition_by=col(OrderEvent.order_id), order_by=col(OrderEvent.id)
        ),
        states.AWAITING_PAYMENT,
    )
    steps = (
        select(
            OrderEvent.id,
            OrderEvent.order_id,
            OrderEvent.kind,
            OrderEvent.from_status,
            OrderEvent.to_status,
            before.label("before"),
        )
        .where(col(OrderEvent.to_status).is_not(None))
        .subquery()
    )
    legal = or_(
        and_(steps.c.before.is_(None), steps.c.kind == "placed"),
        and_(
            steps.c.before == states.PLACED,
            steps.c.to_status == states.PLACED,
            steps.c.kind == "reassigned",
        ),
        *(
            and_(steps.c.before == a, steps.c.to_status == b)
            for a, allowed in states.TRANSITIONS.items()
            for b in allowed
        ),
    )
    wrong_from = and_(
        steps.c.from_status.is_not(None), steps.c.from_status.is_distinct_from(steps.c.before)
    )
    rows = session.execute(
        select(steps).where(or_(~legal, wrong_from)).order_by(steps.c.order_id, steps.c.id)
    ).all()
    return [
        Difference(
            "history",
            "order",
            r.order_id,
            f"event {r.id} {r.kind} {r.from_status}->{r.to_status}",
            f"a step from {r.before}",
            f"{r.from_status}->{r.to_status}",
        )
        for r in rows
    ]


def _chain_ends(session: Session) -> list[Difference]:
    last = (
        select(col(OrderEvent.order_id).label("order_id"), func.max(col(OrderEvent.id)).label("id"))
        .where(col(OrderEvent.to_status).is_not(None))
        .group_by(col(OrderEvent.order_id))
        .subquery()
    )
    rows = session.execute(
        select(Order.id, Order.status, OrderEvent.to_status)
        .outerjoin(last, last.c.order_id == col(Order.id))
        .outerjoin(OrderEvent, col(OrderEvent.id) == last.c.id)
        .where(
            col(Order.status).is_distinct_from(
                func.coalesce(col(OrderEvent.to_status), states.AWAITING_PAYMENT)
            )
        )
        .order_by(col(Order.id))
    ).all()
    return [Difference("history", "order", r.id, "status", r.to_status, r.status) for r in rows]
