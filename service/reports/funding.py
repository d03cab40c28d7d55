"""The funding split of a discount as SQL, the same largest-remainder rule as pricing.allocation."""

from sqlalchemy import case, literal

FUNDERS = ("government", "platform", "merchant")


def funder_shares(amount, pcts: tuple[int, int, int]) -> dict[str, object]:
    """SQL expressions: each funder's share of `amount` (exactly allocate(amount, pcts))."""
    base = [amount * literal(p) // literal(100) for p in pcts]
    rest = [amount * literal(p) % literal(100) for p in pcts]
    leftover = amount - base[0] - base[1] - base[2]
    shares = {}
    for i, funder in enumerate(FUNDERS):
        # rank among the remainders, largest first, ties to the earlier funder
        ahead = [
            case((rest[j] > rest[i] if j > i else rest[j] >= rest[i], 1), else_=0)
            for j in range(3)
            if j != i
        ]
        shares[funder] = base[i] + case((ahead[0] + ahead[1] < leftover, 1), else_=0)
    return shares
