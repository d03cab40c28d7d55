"""Splitting an amount of fen across parts, exactly."""


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split `total` pro rata by `weights`, largest remainder first, ties to the earlier part.

    Shares sum exactly to `total`; with total <= sum(weights) no share exceeds its weight.
    Example: allocate(10_001, [1, 1, 1]) == [3_334, 3_334, 3_333].
    """
    if total < 0 or any(w < 0 for w in weights):
        raise ValueError("allocate needs a non-negative total and weights")
    whole = sum(weights)
    if total == 0 or whole == 0:
        if total:
            raise ValueError("cannot allocate a positive total over zero weights")
        return [0] * len(weights)
    shares = [total * w // whole for w in weights]
    remainders = [total * w % whole for w in weights]
    leftover = total - sum(shares)
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:leftover]:
        shares[index] += 1
    return shares
