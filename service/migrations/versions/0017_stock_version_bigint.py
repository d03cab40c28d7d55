"""stores.stock_version as BIGINT

Revision ID: 0017
Revises: 0014b
Create Date: 2026-12-07 15:00:00.000000

Every write to a store's stock moves its version (migration 0012's triggers): a busy store's
sales and five-minute syncs would reach a 32-bit integer's end within the service's life.
PostgreSQL only: SQLite's INTEGER already holds 8 bytes (the model declares INTEGER there), and
retyping it would rebuild the stores table, which the other tables' foreign keys refuse.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0014b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _retype(old: sa.types.TypeEngine, new: sa.types.TypeEngine) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "stores",
            "stock_version",
            existing_type=old,
            type_=new,
            existing_nullable=False,
            existing_server_default="0",
        )


def upgrade() -> None:
    _retype(sa.Integer(), sa.BigInteger())


def downgrade() -> None:
    _retype(sa.BigInteger(), sa.Integer())
