"""Courier trails are kept 7 days."""

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col

from service.deliveries.models import CourierLocation

TRAIL_KEPT = timedelta(days=7)


def purge_trail(*, session: Session, now: datetime) -> int:
    """Delete trail points older than 7 days; returns how many."""
    cutoff = now - TRAIL_KEPT
    return session.execute(delete(CourierLocation).where(col(CourierLocation.at) < cutoff)).rowcount
