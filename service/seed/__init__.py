"""Seed data: loads fixtures/ (the seed world of DESIGN.md section 1) idempotently."""
