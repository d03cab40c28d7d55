"""Orders carry their coupon's campaign; matching refusals are counted per city, day and reason;
short-pick events carry the goods' value of what went missing.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 16:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Plain ADD COLUMN: a SQLite batch would copy and drop `orders`, which other tables' foreign
# keys point at.


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":  # no ALTER of constraints: the FK inline
        op.execute(
            "ALTER TABLE orders ADD COLUMN campaign_id INTEGER "
            "CONSTRAINT fk_orders_campaign_id_campaigns REFERENCES campaigns (id)"
        )
    else:
        op.add_column("orders", sa.Column("campaign_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "fk_orders_campaign_id_campaigns", "orders", "campaigns", ["campaign_id"], ["id"]
        )
    # Existing orders: the campaign of the coupon they used (one statement, both engines).
    op.execute(
        "UPDATE orders SET campaign_id = (SELECT coupons.campaign_id FROM coupons "
        "WHERE coupons.id = orders.coupon_id) WHERE coupon_id IS NOT NULL"
    )
    op.create_index("ix_orders_campaign_placed", "orders", ["campaign_id", "placed_at"])
    op.create_table(
        "matching_refusals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("orders", sa.BigInteger(), nullable=False),
        sa.Column("stores", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["city_id"], ["cities.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "uq_matching_refusals_city_day_reason",
        "matching_refusals",
        ["city_id", "day", "reason"],
        unique=True,
    )
    _backfill_short_pick_goods()


def _backfill_short_pick_goods() -> None:
    """Short-pick events written before this revision get `goods_fen`: missing units x price.

    Short-picks are few (one per missing line), so this walks them in Python.
    """
    connection = op.get_bind()
    events = sa.table(
        "order_events", sa.column("id"), sa.column("kind"), sa.column("data", sa.JSON)
    )
    lines = sa.table("order_lines", sa.column("id"), sa.column("unit_price_fen"))
    rows = connection.execute(
        sa.select(events.c.id, events.c.data).where(events.c.kind == "short_picked")
    ).all()
    for event_id, data in rows:
        if "goods_fen" in data:
            continue
        price = connection.execute(
            sa.select(lines.c.unit_price_fen).where(lines.c.id == data["line_id"])
        ).scalar_one()
        connection.execute(
            sa.update(events)
            .where(events.c.id == event_id)
            .values(data={**data, "goods_fen": price * data["missing"]})
        )


def downgrade() -> None:
    op.drop_index("uq_matching_refusals_city_day_reason", table_name="matching_refusals")
    op.drop_table("matching_refusals")
    op.drop_index("ix_orders_campaign_placed", table_name="orders")
    if op.get_bind().dialect.name == "sqlite":  # SQLite drops no column a foreign key uses
        with op.batch_alter_table("orders", schema=None) as batch_op:
            batch_op.drop_column("campaign_id")
    else:
        op.drop_constraint("fk_orders_campaign_id_campaigns", "orders", type_="foreignkey")
        op.drop_column("orders", "campaign_id")
