"""Product search near a point: the catalogue's matches, each with its best store now."""

import base64
import binascii
import hashlib
import json
from datetime import datetime

from sqlmodel import Session

from service.catalog import nearby
from service.catalog.schemas import (
    BestStoreRead,
    ProductRead,
    SearchHitRead,
    SearchQuery,
    SearchRead,
)
from service.catalog.search import matching_every_word, normalised
from service.cities.service import city_for_point
from service.errors import Unprocessable
from service.geo import exact_km


def search_products(*, session: Session, query: SearchQuery, now: datetime) -> SearchRead:
    """Products some store can deliver to the point within the promise, by ETA or price."""
    q = normalised(query.q)
    if not q and not query.category:
        raise Unprocessable(
            "type something to search for, or pick a category", code="query_required", field="q"
        )
    city = city_for_point(session=session, lat=query.lat, lon=query.lon)
    fingerprint = _fingerprint(query, q)
    after = _decode(query.cursor, fingerprint) if query.cursor else None
    products = {row.id: row for row in matching_every_word(session, q=q, category=query.category)}
    stores = (
        nearby.eligible_stores(session=session, city=city, lat=query.lat, lon=query.lon, now=now)
        if products
        else []
    )
    found = nearby.offers(session, city.id, stores, list(products), now) if stores else {}
    # Keyset paging on (sort value, product id): a product selling out elsewhere shifts nothing.
    keyed = sorted(_key(query.sort, offer, p) for p, offer in found.items())
    if after is not None:
        keyed = [k for k in keyed if k > after]
    page = keyed[: query.limit]
    more = len(keyed) > query.limit
    shown: dict[int, BestStoreRead] = {}  # store id -> its part of a hit: hits often share one
    # Built from values of known types (the rows, ints, rounded floats): constructed, not
    # validated again; the route serialises the answer once.
    return SearchRead.model_construct(
        city=city.code,
        results=[_hit(products[key[-1]], found[key[-1]], query, shown) for key in page],
        next_cursor=_encode(page[-1], fingerprint) if more else None,
        empty_reason=None if keyed or after else ("not_deliverable" if products else "no_match"),
    )


def _key(sort: str, offer: nearby.Offer, product_id: int) -> tuple:
    eta = round(offer.eta_minutes, 6)
    return (offer.price_fen, eta, product_id) if sort == "price" else (eta, product_id)


def _hit(product, offer: nearby.Offer, query: SearchQuery, shown: dict) -> SearchHitRead:
    store = offer.store
    if store.id not in shown:
        shown[store.id] = BestStoreRead.model_construct(
            id=store.id,
            name=store.name,
            address=store.address,
            distance_km=round(exact_km((query.lat, query.lon), (store.lat, store.lon)), 2),
            eta_minutes=round(offer.eta_minutes),
            prep_minutes=store.prep_minutes,
            min_basket_fen=store.min_basket_fen,
        )
    return SearchHitRead.model_construct(
        product=ProductRead.model_construct(**product._asdict()),
        store=shown[store.id],
        price_fen=offer.price_fen,
        availability=nearby.availability(offer.available),
        other_stores=offer.stores - 1,
        lowest_price_fen=offer.lowest_price_fen,
    )


def _fingerprint(query: SearchQuery, q: str) -> str:
    """What a cursor belongs to: the same words, category, sort and point."""
    ident = [q, query.category or "", query.sort, round(query.lat, 5), round(query.lon, 5)]
    return hashlib.sha256(json.dumps(ident, ensure_ascii=False).encode()).hexdigest()[:16]


def _encode(key: tuple, fingerprint: str) -> str:
    raw = json.dumps({"f": fingerprint, "k": list(key)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, fingerprint: str) -> tuple:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if data["f"] != fingerprint:
            raise ValueError("another query")
        return tuple(data["k"])
    except (ValueError, KeyError, TypeError, binascii.Error) as error:
        raise Unprocessable(
            "this cursor belongs to another search; start again without it",
            code="invalid_cursor",
            field="cursor",
        ) from error
