"""Standing invariant checks: money, stock, coupons and history recomputed from their rows."""
