"""A named place of a city (a district, a street, a landmark) at a point: the gazetteer."""

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class Place(SQLModel, table=True):
    __tablename__ = "places"
    __table_args__ = (Index("uq_places_city_name", "city_id", "name", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    city_id: int = Field(foreign_key="cities.id")
    name: str = Field(max_length=64)
    kind: str = Field(max_length=16)  # district | street | landmark
    district: str = Field(max_length=32)
    lat: float
    lon: float
