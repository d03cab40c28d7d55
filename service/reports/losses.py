"""What a campaign's paid orders lost afterwards, for its report: the goods short-picked and
the compensation paid, each on its own day (and store or chain)."""

from sqlalchemy import func, select
from sqlmodel import col

from service.campaigns.models import Campaign
from service.orders.models import LedgerEntry, Order, OrderEvent, OrderLine
from service.reports.facts import SHORT_PICKED, goods_missing, line_of_short_pick, of_campaign
from service.reports.span import Span
from service.stores.models import Store


def _store_key(group):
    return col(Order.store_id) if group == "store" else col(Store.chain)


def short_pick_query(campaign: Campaign, span: Span, group, key_of):
    """The goods' value of the campaign's short-picked units, on the day they went missing."""
    if group == "category":
        key = col(OrderLine.category)
    else:
        key = key_of(col(OrderEvent.at), _store_key(group))
    query = (
        select(key.label("key"), func.sum(goods_missing()).label("short_pick_fen"))
        .select_from(OrderEvent)
        .join(Order, col(Order.id) == col(OrderEvent.order_id))
    )
    if group == "category":
        query = query.join(OrderLine, col(OrderLine.id) == line_of_short_pick())
    if group == "chain":
        query = query.join(Store, col(Store.id) == col(Order.store_id))
    return query.where(
        of_campaign(campaign.id),
        col(OrderEvent.kind) == SHORT_PICKED,
        col(OrderEvent.at) >= span.start,
        col(OrderEvent.at) < span.end,
    ).group_by(key)


def compensation_query(campaign: Campaign, span: Span, group, key_of):
    """Compensation paid on the campaign's orders (ledger), on its own day."""
    entry = LedgerEntry
    key = key_of(col(entry.at), _store_key(group))
    query = (
        select(key.label("key"), func.sum(col(entry.amount_fen)).label("compensation_fen"))
        .select_from(entry)
        .join(Order, col(Order.id) == col(entry.order_id))
    )
    if group == "chain":
        query = query.join(Store, col(Store.id) == col(Order.store_id))
    return query.where(
        of_campaign(campaign.id),
        col(entry.kind) == "compensation",
        col(entry.at) >= span.start,
        col(entry.at) < span.end,
    ).group_by(key)
