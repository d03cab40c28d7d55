"""auth_sessions.previous_refresh_hash: a spent refresh token stays good for a short grace

Revision ID: 0018
Revises: 0015
Create Date: 2026-12-07 21:40:00.000000

A refresh rotates the refresh token; until this revision the spent one was refused at once, so a
refresh whose answer was lost (a dropped connection, a page reloaded mid-request) or two tabs
refreshing together signed the device out. The spent token's hash is kept (one generation back)
and accepted again for service.auth.sessions.REFRESH_REUSE_GRACE after refreshed_at. Existing
sessions start with none: their next refresh fills it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0018"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "previous_refresh_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True
            )
        )
        batch_op.create_index(
            batch_op.f("ix_auth_sessions_previous_refresh_hash"),
            ["previous_refresh_hash"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_sessions_previous_refresh_hash"))
        batch_op.drop_column("previous_refresh_hash")
