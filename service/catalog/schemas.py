"""Product search and store menu: request and response models."""

from typing import Literal

from sqlmodel import Field, SQLModel

from service.cities.schemas import PointIn

Availability = Literal["in", "low", "out"]


class SearchQuery(PointIn):
    q: str | None = Field(default=None, max_length=64)
    category: str | None = Field(default=None, max_length=32)
    sort: Literal["eta", "price"] = "eta"
    limit: int = Field(default=20, ge=1, le=50)
    cursor: str | None = Field(default=None, max_length=200)


class ProductRead(SQLModel):
    id: int
    sku: str
    name: str
    brand: str
    spec: str
    category: str


class BestStoreRead(SQLModel):
    id: int
    name: str
    address: str
    distance_km: float
    eta_minutes: int
    prep_minutes: int
    min_basket_fen: int  # shown, not applied: the basket decides


class SearchHitRead(SQLModel):
    product: ProductRead
    store: BestStoreRead
    price_fen: int
    availability: Availability
    other_stores: int  # other stores that could deliver it now
    lowest_price_fen: int  # the lowest price among all of them, the best store included


class SearchRead(SQLModel):
    city: str
    results: list[SearchHitRead]
    next_cursor: str | None
    # Why nothing came back: no_match (no product matches the words) or not_deliverable
    # (some match, but no store can bring them here within the hour); null when results came
    # (a point outside every service area is a 422 outside_service_area instead).
    empty_reason: str | None = None
