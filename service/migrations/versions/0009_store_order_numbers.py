"""Order numbers a store can match within its day: a per-store daily sequence.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 17:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs, not batches: on SQLite a batch copies and drops the table, which the
    # foreign keys pointing at stores and orders refuse (see 0008).
    op.add_column("stores", sa.Column("number_day", sa.Date(), nullable=True))
    op.add_column(
        "stores", sa.Column("last_number", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column("orders", sa.Column("store_number", sa.Integer(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMNs (SQLite has them since 3.35): a batch would drop and copy stores,
    # which the stock rows' foreign keys refuse.
    for table, column in (
        ("orders", "store_number"),
        ("stores", "last_number"),
        ("stores", "number_day"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
