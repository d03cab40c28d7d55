"""Alembic migrations; run with `hourdelivery db upgrade`."""
