"""Hardening: pack versions serialise pack changes with claims; per-city funding caps.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 13:55:21.993211
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Plain ADD/DROP COLUMN (SQLite >= 3.35 has both): a batch copy of `cities` would have to drop
# a table every other table refers to.
COLUMNS = (
    ("campaigns", "pack_version", "0"),
    ("cities", "max_platform_funding_pct", "20"),
    ("cities", "max_merchant_funding_pct", "20"),
)


def upgrade() -> None:
    for table, column, default in COLUMNS:
        op.add_column(
            table, sa.Column(column, sa.Integer(), server_default=default, nullable=False)
        )


def downgrade() -> None:
    for table, column, _default in reversed(COLUMNS):
        op.drop_column(table, column)
