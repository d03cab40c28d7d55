"""The campaign report: claims, coupons, discounts per funder, GMV and leverage, by bucket."""

from sqlalchemy import case, func, literal, select
from sqlmodel import Session, col

from service.campaigns.models import Batch, Campaign, Coupon, CouponTemplate, PackClaim
from service.deliveries.compensation import is_compensation
from service.orders.models import OrderLine
from service.reports.facts import (
    of_campaign,
    order_facts,
)
from service.reports.funding import FUNDERS, funder_shares
from service.reports.losses import compensation_query, short_pick_query
from service.reports.span import Span, bucket, local_label
from service.stores.models import Store

GROUPS = ("day", "hour", "store", "category", "chain")
FIGURES = (
    "packs_claimed",
    "issued_count",
    "issued_fen",
    "redeemed_count",
    "released_count",
    "redeemed_fen",
    "expired_count",
    "expired_fen",
    "orders",
    "gmv_fen",
    "promotion_fen",
    *(f"{f}_fen" for f in FUNDERS),
    "short_pick_fen",
    "compensation_fen",
)


def figures(session: Session, campaign: Campaign, span: Span, group: str | None) -> dict:
    """{key: {figure: value}} for `group` (None: one row under the key "total")."""
    rows: dict = {}
    dialect = session.get_bind().dialect.name
    label = local_label(group, span, dialect)
    for query in _queries(campaign, span, group, dialect):
        for row in session.execute(query).mappings():
            key = "total" if group is None else label(row["key"])
            into = rows.setdefault(key, dict.fromkeys(FIGURES, 0))
            for name, value in row.items():
                if name != "key":
                    into[name] += int(value or 0)
    for values in rows.values():
        values["gmv_fen"] -= values["short_pick_fen"]
    return rows


def totals(session: Session, campaign: Campaign, span: Span, group: str, rows: dict) -> dict:
    """The range's totals: the rows added up when every figure has a time bucket, else queried."""
    if group in ("day", "hour"):
        return {name: sum(row[name] for row in rows.values()) for name in FIGURES}
    return figures(session, campaign, span, None).get("total") or dict.fromkeys(FIGURES, 0)


def _queries(campaign: Campaign, span: Span, group: str | None, dialect: str) -> list:
    def key_of(at_column, store_column=None):
        if group is None:
            return literal("total")
        if group in ("day", "hour"):
            return bucket(at_column, group, span, dialect)
        return store_column

    queries = [
        _order_query(campaign, span, group, key_of),
        short_pick_query(campaign, span, group, key_of),
    ]
    if group in (None, "day", "hour"):  # claims and expiries belong to no store or category
        queries += _coupon_queries(campaign, span, key_of)
    if group != "category":
        queries.append(compensation_query(campaign, span, group, key_of))
    return queries


def _order_query(campaign: Campaign, span: Span, group, key_of):
    facts = order_facts(of_campaign(campaign.id), span.start, span.end)
    sign = facts.c.sign
    key, goods, coupon, promotion = _measures(facts, group, key_of)
    # Sums by (bucket, coupon amount) first: the funder split, a dozen CASEs, then runs once
    # per distinct discount in a bucket instead of once per order.
    inner = select(
        key.label("key"),
        coupon.label("coupon"),
        func.sum(sign).label("n"),
        func.sum(case((sign > 0, 1), else_=0)).label("redeemed_count"),
        func.sum(case((sign < 0, 1), else_=0)).label("released_count"),
        func.sum(sign * goods).label("gmv_fen"),
        func.sum(sign * promotion).label("promotion_fen"),
    ).select_from(facts)
    if group == "category":
        inner = inner.join(OrderLine, col(OrderLine.order_id) == facts.c.order_id)
    if group == "chain":
        inner = inner.join(Store, col(Store.id) == facts.c.store_id)
    by = inner.group_by(key, coupon).subquery("by_coupon")
    pcts = (
        campaign.funding_government_pct,
        campaign.funding_platform_pct,
        campaign.funding_merchant_pct,
    )
    split = funder_shares(by.c.coupon, pcts)
    sums = ("redeemed_count", "released_count", "gmv_fen", "promotion_fen")
    return select(
        by.c.key,
        func.sum(by.c.n).label("orders"),
        *(func.sum(by.c[name]).label(name) for name in sums),
        func.sum(by.c.n * by.c.coupon).label("redeemed_fen"),
        *(func.sum(by.c.n * split[f]).label(f"{f}_fen") for f in FUNDERS),
    ).group_by(by.c.key)


def _measures(facts, group, key_of) -> tuple:
    """(key, goods, coupon, promotion) of a fact: the order's, or its lines' by category."""
    if group != "category":
        key = key_of(facts.c.at, facts.c.store_id if group == "store" else col(Store.chain))
        return key, facts.c.subtotal, facts.c.coupon, facts.c.promotion
    # a cancel takes back the line's goods not already short-picked
    left = col(OrderLine.unit_price_fen) * func.coalesce(
        col(OrderLine.picked_qty), col(OrderLine.qty)
    )
    goods = case((facts.c.sign > 0, col(OrderLine.amount_fen)), else_=left)
    return (
        col(OrderLine.category),
        goods,
        col(OrderLine.coupon_share_fen),
        col(OrderLine.promotion_share_fen),
    )


def _coupon_queries(campaign: Campaign, span: Span, key_of) -> list:
    # Expiry writes no event: an expired coupon counts on the day its validity ended.
    expired = select(
        key_of(col(Coupon.valid_until)).label("key"),
        func.count().label("expired_count"),
        func.sum(col(Coupon.discount_fen)).label("expired_fen"),
    ).where(
        col(Coupon.campaign_id) == campaign.id,
        col(Coupon.status) == "EXPIRED",
        col(Coupon.valid_until) >= span.start,
        col(Coupon.valid_until) < span.end,
    )
    queries = [*_issued_queries(campaign, span, key_of), expired]
    return [q.group_by(q.selected_columns[0]) for q in queries]


def _issued_queries(campaign: Campaign, span: Span, key_of) -> list:
    # A pack's coupons are issued with it: its face value, and the pack's coupon count (the
    # pack cannot change after the first claim). Reconciliation checks both against the rows.
    # A compensation campaign's coupons are granted one by one to late orders: its rows.
    per_pack = (
        select(func.sum(col(CouponTemplate.quantity)))
        .where(col(CouponTemplate.campaign_id) == campaign.id)
        .scalar_subquery()
    )
    granted = is_compensation(campaign)
    claims = select(
        key_of(col(PackClaim.claimed_at)).label("key"),
        func.count().label("packs_claimed"),
        *()
        if granted
        else (
            (func.count() * per_pack).label("issued_count"),
            func.sum(col(PackClaim.face_value_fen)).label("issued_fen"),
        ),
    ).where(
        col(PackClaim.campaign_id) == campaign.id,
        col(PackClaim.claimed_at) >= span.start,
        col(PackClaim.claimed_at) < span.end,
    )
    if not granted:
        return [claims]
    coupons = select(
        key_of(col(Coupon.claimed_at)).label("key"),
        func.count().label("issued_count"),
        func.sum(col(Coupon.discount_fen)).label("issued_fen"),
    ).where(
        col(Coupon.campaign_id) == campaign.id,
        col(Coupon.claimed_at) >= span.start,
        col(Coupon.claimed_at) < span.end,
    )
    return [claims, coupons]


def store_names(session: Session, rows: dict) -> dict:
    """store id -> name, for the rows of a report grouped by store."""
    ids = [key for key in rows if isinstance(key, int)]
    found = session.execute(select(Store.id, Store.name).where(col(Store.id).in_(ids))).all()
    return dict(map(tuple, found))


def batches(session: Session, campaign_id: int) -> list[dict]:
    """Each batch's packs claimed against its quota (rows are checked in reconciliation)."""
    rows = session.execute(
        select(col(Batch.id), col(Batch.name), col(Batch.pack_quota), col(Batch.packs_claimed))
        .where(col(Batch.campaign_id) == campaign_id)
        .order_by(col(Batch.id))
    ).all()
    keys = ("batch_id", "name", "pack_quota", "packs_claimed")
    return [dict(zip(keys, row, strict=True)) for row in rows]
