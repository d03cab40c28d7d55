"""Indexes for the report queries; promotions get a pause switch.

Revision ID: 0008
Revises: 0002
Create Date: 2026-11-25 14:18:06.098502
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("coupons", schema=None) as batch_op:
        batch_op.create_index(
            "ix_coupons_campaign_status_valid",
            ["campaign_id", "status", "valid_until", "discount_fen"],
            unique=False,
        )

    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_entries_kind_at", ["kind", "at"], unique=False)

    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.create_index("ix_order_events_kind_at", ["kind", "at"], unique=False)

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_coupon_id", ["coupon_id"], unique=False)

    with op.batch_alter_table("pack_claims", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pack_claims_campaign_claimed",
            ["campaign_id", "claimed_at", "face_value_fen"],
            unique=False,
        )

    with op.batch_alter_table("promotions", schema=None) as batch_op:
        # existing promotions keep running: false for every row already there
        batch_op.add_column(
            sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("promotions", schema=None) as batch_op:
        batch_op.drop_column("paused")

    with op.batch_alter_table("pack_claims", schema=None) as batch_op:
        batch_op.drop_index("ix_pack_claims_campaign_claimed")

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_coupon_id")

    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.drop_index("ix_order_events_kind_at")

    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_entries_kind_at")

    with op.batch_alter_table("coupons", schema=None) as batch_op:
        batch_op.drop_index("ix_coupons_campaign_status_valid")
