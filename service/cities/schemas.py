"""A point on the map, as every request that names a location sends it."""

from sqlmodel import Field, SQLModel


class PointIn(SQLModel):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
