"""order_events.from_status: the status before each transition, repaired from the chain

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 14:20:00.000000

Until this revision states.move read the order's status after its own UPDATE had set it, so
every transition event said from_status == to_status (e.g. accepted ACCEPTED->ACCEPTED).
Each transition event (one with a from_status) takes the to_status of the order's previous
event that had one. One set-based UPDATE on both engines; nothing to undo on downgrade
(the wrong history is not worth restoring).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REPAIR = """
UPDATE order_events SET from_status = COALESCE((
    SELECT previous.to_status FROM order_events AS previous
    WHERE previous.order_id = order_events.order_id AND previous.id < order_events.id
      AND previous.to_status IS NOT NULL
    ORDER BY previous.id DESC LIMIT 1
), from_status)
WHERE from_status IS NOT NULL
"""


def upgrade() -> None:
    op.execute(REPAIR)


def downgrade() -> None:
    pass
