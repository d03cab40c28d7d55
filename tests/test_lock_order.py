"""Every path locks rows in one order (service/orders/locks.py): store, order, delivery,
courier, stock, coupon, campaign.

The opposite order in cancel deadlocked against a concurrent placement on PostgreSQL; a
short-pick (store, then order) deadlocked against a cancel (order, then store), and a pick-up
(delivery, then order) against a cancel (order, then delivery).
"""

import pytest
from sqlalchemy import Select, Update, event, select

from service.catalog.models import Product
from service.orders import stock
from service.orders.models import OrderLine
from tests.support.deliveries import HOME, offered_job, store_moves
from tests.support.factories import make_campaign, make_city, make_consumers, make_store
from tests.support.payments import place_and_pay
from tests.support.tablets import store_token, tablet


def tables_updated(session, action) -> list[str]:
    seen: list[str] = []

    def capture(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("UPDATE"):
            seen.append(statement.split()[1].strip('"'))

    engine = session.get_bind().engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return seen


def test_reserve_and_release_lock_the_store_before_its_stock(session, clock):
    store = make_store(
        session, make_city(session), 1.0, stock={"BAK-0001": (5, 4800), "BAK-0002": (5, 1200)}
    )
    ids = session.execute(select(Product.id).where(Product.sku.in_(["BAK-0001", "BAK-0002"])))
    qty = {product_id: 1 for product_id in ids.scalars()}
    reserving = tables_updated(session, lambda: stock.reserve(session, store.id, qty, clock.now()))
    releasing = tables_updated(session, lambda: stock.release(session, store.id, qty))
    assert reserving == ["stores", "store_stock"]
    assert releasing[0] == "stores" and set(releasing[1:]) == {"store_stock"}


# service/orders/locks.py: store -> order (and lines) -> delivery -> courier -> stock -> coupon
# -> campaign -> batch.
RANK = {
    "stores": 0,
    "orders": 1,
    "order_lines": 1,
    "deliveries": 2,
    "couriers": 3,
    "store_stock": 4,
    "coupons": 5,
    "campaigns": 6,
    "batches": 7,
}


def tables_locked(session, action) -> list[str]:
    """Tables in the order the action first locks a row of them (UPDATE or SELECT FOR UPDATE),
    read from the statements themselves, so SQLite (which drops FOR UPDATE) shows them too."""
    seen: list[str] = []

    def capture(_conn, clause, *_args):
        table = None
        if isinstance(clause, Update):
            table = clause.table.name
        elif isinstance(clause, Select) and clause._for_update_arg is not None:
            table = clause.get_final_froms()[0].name
        if table in RANK and table not in seen:
            seen.append(table)

    engine = session.get_bind().engine
    event.listen(engine, "before_execute", capture)
    try:
        action()
    finally:
        event.remove(engine, "before_execute", capture)
    return seen


def in_lock_order(tables: list[str]) -> bool:
    ranks = [RANK[t] for t in tables]
    return ranks == sorted(ranks)


@pytest.fixture
def accepted(client, session, clock):
    """An order ACCEPTED at a tablet store (its delivery waiting), with a 5-yuan coupon."""
    store = make_store(
        session,
        make_city(session),
        1.0,
        **tablet(clock.now()),
        stock={"BAK-0001": (9, 4800), "BAK-0002": (9, 1200)},
    )
    campaign, _ = make_campaign(session, clock.now(), code="testville", pack=((0, 500, 1),))
    ((_, token),) = make_consumers(session, 1, clock.now())
    staff = {"Authorization": f"Bearer {store_token(session, store.id, clock.now())}"}
    session.commit()
    me = {"Authorization": f"Bearer {token}"}
    coupon = client.post(f"/v1/campaigns/{campaign.id}/claim", headers=me, json=HOME)
    body = {
        "items": [{"sku": "BAK-0001", "qty": 2}, {"sku": "BAK-0002", "qty": 1}],
        "payment_method": "wechat",
        "coupon_id": coupon.json["coupons"][0]["id"],
        **HOME,
    }
    order = place_and_pay(client, body, me, "k").json
    order_id = order["order"]["id"]
    assert client.post(f"/v1/store/orders/{order_id}/accept", headers=staff).status_code == 200
    return {"order_id": order_id, "store_id": store.id, "me": me, "staff": staff}


def test_a_short_pick_and_a_cancel_lock_store_then_order_then_the_rest(accepted, client, session):
    order_id = accepted["order_id"]
    line = session.execute(
        select(OrderLine.id).where(OrderLine.order_id == order_id, OrderLine.sku == "BAK-0001")
    ).scalar()
    path = f"/v1/store/orders/{order_id}/short-pick"
    short = tables_locked(
        session,
        lambda: client.post(
            path, headers=accepted["staff"], json={"line_id": line, "picked_qty": 1}
        ),
    )
    cancel = tables_locked(
        session,
        lambda: client.post(
            f"/v1/orders/{order_id}/cancel", headers=accepted["me"], json={"reason": "x"}
        ),
    )
    assert short[:2] == cancel[:2] == ["stores", "orders"]
    assert in_lock_order(short) and in_lock_order(cancel), (short, cancel)
    assert {"store_stock", "campaigns"} <= set(short)
    assert {"deliveries", "store_stock", "coupons", "campaigns"} <= set(cancel)


def test_a_pick_up_locks_store_order_delivery_in_that_order_like_a_cancel(client, session, clock):
    job = offered_job(client, session, clock)
    (offer,) = client.get("/v1/courier/offers", headers=job["me"]).json["deliveries"]
    client.post(f"/v1/courier/offers/{offer['id']}/accept", headers=job["me"])
    store_moves(session, job["order"]["id"], "READY", clock.now())
    session.commit()
    path = f"/v1/courier/deliveries/{offer['id']}/picked-up"
    pick = tables_locked(session, lambda: client.post(path, headers=job["me"]))
    assert pick[:3] == ["stores", "orders", "deliveries"] and in_lock_order(pick), pick
