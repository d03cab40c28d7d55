"""Quotes without a named store: price the basket at the store an order would go to."""

from datetime import datetime

from sqlmodel import Session

from service.cities.service import city_for_point
from service.errors import Conflict
from service.orders import matching
from service.orders.explain import explain
from service.orders.placement import wanted
from service.pricing.schemas import QuoteIn, QuoteRead
from service.pricing.service import quote


def quote_order(
    *, session: Session, consumer_id: int, quote_in: QuoteIn, now: datetime
) -> QuoteRead:
    """The quote at the named store, or at the store matching would choose right now."""
    if quote_in.store_id is None:
        city = city_for_point(session=session, lat=quote_in.lat, lon=quote_in.lon)
        search = {
            "session": session,
            "city": city,
            "lat": quote_in.lat,
            "lon": quote_in.lon,
            "want": wanted(session, quote_in, consumer_id),
            "now": now,
        }
        candidates = matching.find_candidates(**search)
        if not candidates:
            raise Conflict(
                "no store can deliver this basket within the hour",
                code="no_store_available",
                details={"reasons": explain(**search)},
            )
        quote_in = quote_in.model_copy(update={"store_id": candidates[0].store.id})
    return quote(session=session, consumer_id=consumer_id, quote_in=quote_in, now=now)
