"""Place search requests and answers."""

from sqlmodel import Field, SQLModel

from service.cities.schemas import PointIn


class PlaceQuery(SQLModel):
    q: str = Field(min_length=1, max_length=64, description="a place name, or words of one")
    city: str | None = Field(default=None, max_length=32, description="a city code to keep to")
    limit: int = Field(default=10, ge=1, le=50)


class PlaceRead(SQLModel):
    name: str
    kind: str = Field(description="district | street | landmark")
    district: str
    city_code: str
    city_name: str
    lat: float
    lon: float


class PlacesRead(SQLModel):
    items: list[PlaceRead]


class NearestQuery(PointIn):
    pass


class NearestRead(SQLModel):
    city_code: str
    place: PlaceRead | None = Field(description="the nearest named place, to show the point by")
