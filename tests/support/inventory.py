"""Inventory-sync test helpers: a store fed from a CSV file, its stock, one sync run."""

from sqlalchemy import select

from service.catalog.models import Product, StoreStock
from service.sync.models import SyncRun
from service.sync.service import run_sync, task_of
from tests.support.factories import make_city, make_store

FEED = "sku,on_hand,price_fen\nBAK-0001,30,5000\nBAK-0002,8,2600\n{extra}#rows={rows}\n"


def stock_of(session, store_id) -> dict:
    """SKU -> (on_hand, reserved, price_fen) of the store's stock rows."""
    rows = session.execute(
        select(Product.sku, StoreStock.on_hand, StoreStock.reserved, StoreStock.price_fen)
        .join(StoreStock)
        .where(StoreStock.store_id == store_id)
    ).all()
    return {sku: (on_hand, reserved, price) for sku, on_hand, reserved, price in rows}


def csv_store(session, tmp_path, in_city=None, **stock):
    """A store synced from tmp_path/feed.csv (written by the test), and that path."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "feed.csv"
    store = make_store(
        session,
        in_city or make_city(session),
        1.0,
        adapter_kind="csv",
        adapter_settings={"path": str(path)},
        sync_interval_s=60,
        stock=stock or {"BAK-0001": (10, 4800), "BAK-0003": (5, 1200)},
    )
    return store, path


def sync(session, store, now, **options) -> SyncRun:
    """One sync run of the store as it is now."""
    session.refresh(store)
    return run_sync(session=session, task=task_of(store), now=now, **options)
