"""The hot-row writes of a claim: a batch's packs and a campaign's issued budget."""

from sqlalchemy import bindparam, exists, func, select, update
from sqlmodel import Session, col

from service.campaigns.models import Batch, Campaign

TAKE_PACK = (
    update(Batch)
    .where(
        col(Batch.id) == bindparam("take_batch"), col(Batch.packs_claimed) < col(Batch.pack_quota)
    )
    .values(packs_claimed=col(Batch.packs_claimed) + 1)
)
TAKE_BUDGET = (
    update(Campaign)
    .where(
        col(Campaign.id) == bindparam("take_campaign"),
        col(Campaign.issued_fen) + bindparam("take_fen") <= col(Campaign.budget_fen),
        col(Campaign.pack_version) == bindparam("take_version"),
    )
    .values(issued_fen=col(Campaign.issued_fen) + bindparam("take_fen"))
)


def _both_in_one_statement():
    # PostgreSQL: one round trip for both hot rows; the budget moves only if the batch had room.
    took = TAKE_PACK.returning(col(Batch.id)).cte("took_pack")
    spent = TAKE_BUDGET.where(exists(select(took.c.id))).returning(col(Campaign.id)).cte("spent")
    return select(
        select(func.count()).select_from(took).scalar_subquery(),
        select(func.count()).select_from(spent).scalar_subquery(),
    )


TAKE_BOTH = _both_in_one_statement()


def take_quota_and_budget(
    session: Session, *, batch_id: int, campaign_id: int, value: int, pack_version: int
) -> str | None:
    """Take one pack of the batch and `value` of the budget, if the pack is still the one read
    (`pack_version`); None, or why it was refused."""
    # Bind names must not match column names: in an UPDATE they would become SET values.
    params = {
        "take_batch": batch_id,
        "take_campaign": campaign_id,
        "take_fen": value,
        "take_version": pack_version,
    }
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        got_pack, got_budget = conn.execute(TAKE_BOTH, params).one()
    else:  # SQLite: in-process, no round trips; BEGIN IMMEDIATE already serialises writers
        got_pack = conn.execute(TAKE_PACK, params).rowcount
        got_budget = got_pack and conn.execute(TAKE_BUDGET, params).rowcount
    if not got_pack:
        return "sold_out"
    if got_budget:
        return None
    version = select(Campaign.pack_version).where(col(Campaign.id) == campaign_id)
    return "budget_exhausted" if conn.execute(version).scalar() == pack_version else "pack_changed"
