"""deliveries: lapsed offers kept apart from declines; when the search for a courier began

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 14:20:00.000000

passed_courier_ids keeps the couriers who declined or failed a delivery (never offered it
again); lapsed_courier_ids those who let an offer run out (offered again once the other
couriers in reach had their chance). seeking_since: when the delivery last began waiting
for a courier, for the operators' list of deliveries nobody took within 10 minutes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import service.db.types

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "lapsed_courier_ids", sa.JSON(), server_default=sa.text("'[]'"), nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("seeking_since", service.db.types.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute("UPDATE deliveries SET seeking_since = created_at")


def downgrade() -> None:
    op.execute("ALTER TABLE deliveries DROP COLUMN seeking_since")
    op.execute("ALTER TABLE deliveries DROP COLUMN lapsed_courier_ids")
