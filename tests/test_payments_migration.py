"""Migration 0015: orders placed before payments count as paid, so past reports do not change."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import MetaData, func, insert, select

from service.campaigns.models import Campaign
from service.db import Database, make_engine
from service.db.migrate import downgrade, upgrade
from service.orders.lifecycle import cancel_order
from service.orders.models import LedgerEntry, Order
from service.payments.models import Payment, Refund
from service.reports.reconcile import reconcile
from service.stores.models import Store

PLACED_AT = datetime(2026, 6, 18, 12, 0, tzinfo=UTC)


def _old_orders(engine) -> int:
    """Two orders of a campaign as the schema before 0015 held them (charged at placement, the
    cancelled one refunded); the campaign's id."""
    with engine.begin() as conn:
        tables = MetaData()
        tables.reflect(conn, only=("orders", "ledger_entries"))
        campaign_id = conn.execute(select(func.min(Campaign.id))).scalar()
        city_id = conn.execute(select(Campaign.city_id).where(Campaign.id == campaign_id)).scalar()
        store_id = conn.execute(select(func.min(Store.id)).where(Store.city_id == city_id)).scalar()
        consumer_id = conn.exec_driver_sql("SELECT min(id) FROM consumers").scalar()
        for n, status in enumerate(("DELIVERED", "CANCELLED")):
            at = PLACED_AT + timedelta(minutes=n)
            order_id = conn.execute(
                insert(tables.tables["orders"]).returning(tables.tables["orders"].c.id),
                {
                    "city_id": city_id,
                    "consumer_id": consumer_id,
                    "store_id": store_id,
                    "status": status,
                    "payment_method": "wechat",
                    "address": "x",
                    "lat": 0,
                    "lon": 0,
                    "subtotal_fen": 10000,
                    "promotion_fen": 0,
                    "coupon_fen": 0,
                    "delivery_fee_fen": 0,
                    "payable_fen": 10000 + n,
                    "campaign_id": campaign_id,
                    "handoff_code": "1234",
                    "tried_store_ids": [store_id],
                    "placed_at": at,
                    "promised_at": at,
                    "eta_at": at,
                    "updated_at": at,
                    "cancel_reason": "consumer" if status == "CANCELLED" else None,
                },
            ).scalar()
            moves = [("charge", 10000 + n)] + ([("refund", 10000 + n)] if n else [])
            conn.execute(
                insert(tables.tables["ledger_entries"]),
                [
                    {
                        "order_id": order_id,
                        "city_id": city_id,
                        "kind": kind,
                        "amount_fen": amount,
                        "note": "",
                        "at": at,
                    }
                    for kind, amount in moves
                ],
            )
    return campaign_id


def _before_payments() -> str:
    """The revision 0015 follows (re-chained when branches merge)."""
    from alembic.script import ScriptDirectory

    from service.db.migrate import alembic_config

    return (
        ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision("0015").down_revision
    )


def test_orders_from_before_payments_are_paid_by_a_legacy_payment_and_reports_stand(template):
    url = template.copy()
    engine = make_engine(url)
    try:
        downgrade(engine, _before_payments())
        campaign_id = _old_orders(engine)
        upgrade(engine)
        with Database(engine).unit_of_work() as session:
            payments = session.execute(
                select(Payment.provider, Payment.status, Payment.amount_fen)
            ).all()
            assert sorted(tuple(p) for p in payments) == [
                ("legacy", "PAID", 10000),
                ("legacy", "PAID", 10001),
            ]
            refunds = session.execute(select(Refund.status, Refund.amount_fen)).all()
            assert [tuple(r) for r in refunds] == [("SUCCEEDED", 10001)]
            report = reconcile(session, session.get(Campaign, campaign_id))
            money = {c["check"]: c["values"] for c in report["checks"]}
            assert money["charged_fen"] == {
                "paid_orders": 20001,
                "payments": 20001,
                "ledger": 20001,
            }
            assert money["refunded_fen"] == {"refunds": 10001, "ledger": 10001}
            assert report["money_apart"]["refunds_pending_fen"] == 0
            differing = {d["check"] for d in report["differences"]}
            assert not differing & {"charged_fen", "refunded_fen", "cancel_refunds_fen"}
            # a legacy payment is refunded at once (no provider to ask), never beyond it
            delivered = session.execute(select(Order).where(Order.status == "DELIVERED")).scalar()
            delivered.status = "READY"
            session.flush()
            cancel_order(
                session=session,
                order=delivered,
                reason="consumer",
                actor_role="consumer",
                actor_id=None,
                now=PLACED_AT,
            )
            back = session.execute(
                select(func.sum(LedgerEntry.amount_fen)).where(
                    LedgerEntry.order_id == delivered.id, LedgerEntry.kind == "refund"
                )
            ).scalar()
            assert back == 10000
    finally:
        engine.dispose()
        template.drop(url)
