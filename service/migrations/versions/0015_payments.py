"""payments, refunds, reconciliations; orders already placed count as paid by a legacy payment

Revision ID: 0015
Revises: 0017
Create Date: 2026-12-07 15:00:00.000000

Every order placed before payments existed was charged in the ledger at placement (and its
cancels and short-picks refunded there), so each gets a PAID payment of provider `legacy` for
its payable, and each ledger refund a SUCCEEDED legacy refund: past days' reports and the
"paid less refunded" of every old order stay as they were. Legacy payments are never matched
with a provider's statement.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import service.db.types

revision: str = "0015"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, service.db.types.UTCDateTime(timezone=True), nullable=nullable)


def _s(name: str, length: int, **kw) -> sa.Column:
    return sa.Column(name, sa.String(length), nullable=False, **kw)


def upgrade() -> None:
    op.add_column("cities", sa.Column("payment_accounts", sa.JSON(), nullable=True))
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("city_id", sa.Integer(), sa.ForeignKey("cities.id"), nullable=False),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("orders.id"), nullable=False),
        sa.Column("consumer_id", sa.Integer(), sa.ForeignKey("consumers.id"), nullable=False),
        _s("provider", 32),
        _s("account", 64),
        _s("method", 32),
        _s("out_trade_no", 32),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        _s("status", 16),
        sa.Column("pay_url", sa.String(512), nullable=True),
        sa.Column("client_params", sa.JSON(), nullable=False),
        _s("provider_trade_no", 64),
        _at("pay_by", False),
        _at("created_at", False),
        _at("paid_at"),
        _at("closed_at"),
        _at("checked_at"),
        sa.CheckConstraint("amount_fen >= 0", name="amount_not_negative"),
    )
    op.create_index("uq_payments_order_id", "payments", ["order_id"], unique=True)
    op.create_index("uq_payments_out_trade_no", "payments", ["out_trade_no"], unique=True)
    op.create_index("ix_payments_status_pay_by", "payments", ["status", "pay_by"])
    op.create_index("ix_payments_account_paid_at", "payments", ["account", "paid_at"])
    op.create_table(
        "refunds",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("city_id", sa.Integer(), sa.ForeignKey("cities.id"), nullable=False),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("orders.id"), nullable=False),
        sa.Column("payment_id", sa.Integer(), sa.ForeignKey("payments.id"), nullable=False),
        _s("out_refund_no", 64),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        _s("reason", 64),
        _s("status", 16),
        _s("failure", 128),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _at("requested_at", False),
        _at("finished_at"),
        _at("checked_at"),
        sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
    )
    op.create_index("uq_refunds_out_refund_no", "refunds", ["out_refund_no"], unique=True)
    op.create_index("ix_refunds_payment_id", "refunds", ["payment_id"])
    op.create_index("ix_refunds_status_requested", "refunds", ["status", "requested_at"])
    _reconciliation_tables()
    _legacy()


def _reconciliation_tables() -> None:
    op.create_table(
        "reconciliations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("city_id", sa.Integer(), sa.ForeignKey("cities.id"), nullable=False),
        _s("account", 64),
        sa.Column("day", sa.Date(), nullable=False),
        _s("status", 16),
        *(
            sa.Column(name, sa.Integer(), nullable=False)
            for name in (
                "statement_lines",
                "matched",
                "missing_here",
                "missing_there",
                "amount_differs",
            )
        ),
        _at("computed_at", False),
    )
    op.create_index(
        "uq_reconciliations_account_day", "reconciliations", ["account", "day"], unique=True
    )
    op.create_table(
        "reconciliation_lines",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "reconciliation_id", sa.Integer(), sa.ForeignKey("reconciliations.id"), nullable=False
        ),
        sa.Column("city_id", sa.Integer(), sa.ForeignKey("cities.id"), nullable=False),
        _s("outcome", 16),
        _s("kind", 16),
        _s("out_trade_no", 32),
        _s("out_refund_no", 64),
        sa.Column("ours_fen", sa.BigInteger(), nullable=True),
        sa.Column("theirs_fen", sa.BigInteger(), nullable=True),
    )
    op.create_index("ix_reconciliation_lines_run", "reconciliation_lines", ["reconciliation_id"])


def _legacy() -> None:
    op.execute(
        "INSERT INTO payments (city_id, order_id, consumer_id, provider, account, method,"
        " out_trade_no, amount_fen, status, client_params, provider_trade_no, pay_by,"
        " created_at, paid_at)"
        " SELECT city_id, id, consumer_id, 'legacy', 'legacy', payment_method,"
        " 'L' || CAST(id AS VARCHAR(20)), payable_fen, 'PAID', '{}', '', placed_at, placed_at,"
        " placed_at FROM orders"
    )
    op.execute(
        "INSERT INTO refunds (city_id, order_id, payment_id, out_refund_no, amount_fen, reason,"
        " status, failure, attempts, requested_at, finished_at)"
        " SELECT l.city_id, l.order_id, p.id, 'L' || CAST(l.id AS VARCHAR(20)), l.amount_fen,"
        " 'legacy', 'SUCCEEDED', '', 0, l.at, l.at"
        " FROM ledger_entries l JOIN payments p ON p.order_id = l.order_id"
        " WHERE l.kind = 'refund' AND l.amount_fen > 0"
    )


def downgrade() -> None:
    for table in ("reconciliation_lines", "reconciliations", "refunds", "payments"):
        op.drop_table(table)
    op.drop_column("cities", "payment_accounts")  # ALTER TABLE DROP COLUMN, SQLite >= 3.35
