"""What a check reports: one disagreement between a counter and the rows it sums."""

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Difference:
    """`subject` `subject_id`'s `what` is `actual` where its rows say `expected`."""

    check: str  # ledger | stock | slots | campaign | coupon | history
    subject: str  # order | stock_row | store | campaign | coupon
    subject_id: int
    what: str
    expected: object
    actual: object

    def line(self) -> str:
        """One printable line."""
        return (
            f"{self.check}: {self.subject} {self.subject_id} {self.what}: "
            f"expected {self.expected}, found {self.actual}"
        )

    def as_dict(self) -> dict:
        """JSON-ready."""
        return asdict(self)
