"""Coupon campaigns (city or platform issued), their batches and packs, and platform promotions."""
