"""store tablets: intake mode, acceptance deadline, flag; SKUs staff marked unavailable

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-25 13:52:08.130085
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import service.db.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Plain ADD/DROP COLUMN (SQLite has both natively): a batch rebuild of `stores` would drop a
# table that other tables' foreign keys point at.


def upgrade() -> None:
    op.add_column(
        "store_stock",
        sa.Column("unavailable_until", service.db.types.UTCDateTime(timezone=True), nullable=True),
    )
    # Existing stores keep taking orders as before: auto_accept, a 3-minute deadline.
    op.add_column(
        "stores",
        sa.Column(
            "intake_mode",
            sqlmodel.sql.sqltypes.AutoString(length=16),
            nullable=False,
            server_default="auto_accept",
        ),
    )
    op.add_column(
        "stores",
        sa.Column("accept_timeout_s", sa.Integer(), nullable=False, server_default="180"),
    )
    op.add_column(
        "stores",
        sa.Column("flagged_reason", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("stores", "flagged_reason")
    op.drop_column("stores", "accept_timeout_s")
    op.drop_column("stores", "intake_mode")
    op.drop_column("store_stock", "unavailable_until")
