"""Deliveries, couriers' capacity and trail, city dispatch and compensation settings.

Existing rows get server defaults for the new NOT NULL columns.

Revision ID: 0006
Revises: 0002
Create Date: 2026-11-25 13:55:20.496916
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import service.db.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "courier_locations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("courier_id", sa.Integer(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        sa.Column("at", service.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"], ["cities.id"], name=op.f("fk_courier_locations_city_id_cities")
        ),
        sa.ForeignKeyConstraint(
            ["courier_id"], ["couriers.id"], name=op.f("fk_courier_locations_courier_id_couriers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_courier_locations")),
    )
    with op.batch_alter_table("courier_locations", schema=None) as batch_op:
        batch_op.create_index("ix_courier_locations_at", ["at"], unique=False)
        batch_op.create_index("ix_courier_locations_courier_at", ["courier_id", "at"], unique=False)

    with op.batch_alter_table("cities", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("offer_timeout_s", sa.Integer(), nullable=False, server_default=sa.text("30"))
        )
        batch_op.add_column(
            sa.Column(
                "location_fresh_s", sa.Integer(), nullable=False, server_default=sa.text("60")
            )
        )
        batch_op.add_column(
            sa.Column("pickup_radius_km", sa.Float(), nullable=False, server_default=sa.text("5.0"))
        )
        batch_op.add_column(
            sa.Column(
                "compensation_fen", sa.BigInteger(), nullable=False, server_default=sa.text("1000")
            )
        )
        batch_op.add_column(
            sa.Column(
                "compensation_valid_days", sa.Integer(), nullable=False, server_default=sa.text("7")
            )
        )

    with op.batch_alter_table("couriers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_accuracy_m", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("last_heading", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("capacity", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )
        batch_op.add_column(
            sa.Column("held", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )

    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("store_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("share_token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "passed_courier_ids", sa.JSON(), nullable=False, server_default=sa.text("'[]'")
            )
        )
        batch_op.add_column(
            sa.Column("created_at", service.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "offer_expires_at", service.db.types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("arrived_at", service.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("closed_at", service.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("fail_reason", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True)
        )
        batch_op.add_column(
            sa.Column("wrong_codes", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
        batch_op.add_column(
            sa.Column("locked", sa.Boolean(), nullable=False, server_default=sa.text("false"))
        )
        batch_op.add_column(sa.Column("compensation_coupon_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            "uq_deliveries_compensation_coupon_id", ["compensation_coupon_id"], unique=True
        )
        batch_op.create_index("uq_deliveries_share_token", ["share_token"], unique=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_deliveries_compensation_coupon_id_coupons"),
            "coupons",
            ["compensation_coupon_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_deliveries_store_id_stores"), "stores", ["store_id"], ["id"]
        )


def downgrade() -> None:
    op.drop_table("courier_locations")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_deliveries_store_id_stores"), type_="foreignkey")
        batch_op.drop_constraint(
            batch_op.f("fk_deliveries_compensation_coupon_id_coupons"), type_="foreignkey"
        )
        batch_op.drop_index("uq_deliveries_share_token")
        batch_op.drop_index("uq_deliveries_compensation_coupon_id")
        for column in (
            "compensation_coupon_id",
            "locked",
            "wrong_codes",
            "fail_reason",
            "closed_at",
            "arrived_at",
            "offer_expires_at",
            "created_at",
            "passed_courier_ids",
            "share_token",
            "store_id",
        ):
            batch_op.drop_column(column)
    # Plain ALTER TABLE DROP COLUMN (SQLite >= 3.35): a batch copy of these widely referenced
    # tables would trip the foreign keys that point at them.
    for table, columns in (
        ("couriers", ("held", "capacity", "last_heading", "last_accuracy_m")),
        (
            "cities",
            (
                "compensation_valid_days",
                "compensation_fen",
                "pickup_radius_km",
                "location_fresh_s",
                "offer_timeout_s",
            ),
        ),
    ):
        for column in columns:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
