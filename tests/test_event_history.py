"""Each transition event says what the order was before it, and old events are repaired."""

import importlib

from sqlalchemy import select, text

from service import caches, create_app
from service.config import Settings
from service.orders.models import OrderEvent
from tests.support.factories import TEST_CENTRE, make_city, make_consumers, make_store
from tests.support.payments import place_and_pay
from tests.support.tablets import store_token, tablet


def placed_accepted_ready(client, session, clock) -> int:
    """An order placed at a tablet store, then accepted and marked ready by its staff."""
    store = make_store(
        session, make_city(session), 1.0, **tablet(clock.now()), stock={"BAK-0001": (5, 4800)}
    )
    ((_, token),) = make_consumers(session, 1, clock.now())
    staff = {"Authorization": f"Bearer {store_token(session, store.id, clock.now())}"}
    session.commit()
    body = {
        "items": [{"sku": "BAK-0001", "qty": 1}],
        "payment_method": "wechat",
        "lat": TEST_CENTRE[0],
        "lon": TEST_CENTRE[1],
        "address": "测试路100号",
    }
    placed = place_and_pay(client, body, {"Authorization": f"Bearer {token}"}, "k")
    order_id = placed.json["order"]["id"]
    for step in ("accept", "ready"):
        answer = client.post(f"/v1/store/orders/{order_id}/{step}", headers=staff)
        assert answer.status_code == 200, answer.json
    return order_id


def chain(session, order_id: int) -> list[tuple]:
    rows = session.execute(
        select(OrderEvent.kind, OrderEvent.from_status, OrderEvent.to_status)
        .where(OrderEvent.order_id == order_id, OrderEvent.to_status.is_not(None))
        .order_by(OrderEvent.id)
    )
    return [tuple(row) for row in rows]


def test_the_timeline_says_each_step_left_the_status_before_it(client, session, clock):
    order_id = placed_accepted_ready(client, session, clock)
    assert chain(session, order_id) == [
        ("placed", None, "PLACED"),
        ("accepted", "PLACED", "ACCEPTED"),
        ("ready", "ACCEPTED", "READY"),
    ]


def test_migration_0013_repairs_events_that_said_from_equals_to(committed_db, clock):
    caches.clear_all()  # cities cached by earlier tests were rolled back with them
    app = create_app(
        Settings(database_url="sqlite://", secret_key="test"), clock=clock, database=committed_db
    )
    with committed_db.session() as session:
        order_id = placed_accepted_ready(app.test_client(), session, clock)
    # Its upgrade's statement, run on the history as the old states.move wrote it (a downgrade
    # to 0012 would have to undo later revisions on a database holding rows).
    repair = importlib.import_module("service.migrations.versions.0013_true_event_history")
    with committed_db.engine.begin() as conn:
        conn.execute(
            text("UPDATE order_events SET from_status = to_status WHERE from_status IS NOT NULL")
        )
        conn.execute(text(repair.REPAIR))
    with committed_db.session() as session:
        assert chain(session, order_id) == [
            ("placed", None, "PLACED"),
            ("accepted", "PLACED", "ACCEPTED"),
            ("ready", "ACCEPTED", "READY"),
        ]
