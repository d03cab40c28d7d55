"""Platform operators setting a city's caps on platform and merchant campaign funding."""

from datetime import datetime

from sqlmodel import Session

from service.audit.service import changed_fields, record_audit
from service.cities.models import City
from service.cities.schemas import FundingCapsIn
from service.errors import NotFound, PermissionDenied
from service.people.models import Operator


def set_funding_caps(
    *, session: Session, operator: Operator, city_id: int, caps_in: FundingCapsIn, now: datetime
) -> City:
    """Set the caps (platform operators only); later city campaigns must keep within them."""
    if operator.city_id is not None:
        raise PermissionDenied("only platform operators set funding caps")
    city = session.get(City, city_id)
    if city is None:
        raise NotFound(f"no city {city_id}", field="city_id")
    changes = caps_in.model_dump(exclude_none=True)
    old, new = changed_fields({name: getattr(city, name) for name in changes}, changes)
    for name, value in new.items():
        setattr(city, name, value)
    if new:
        record_audit(
            session=session,
            at=now,
            actor_role="operator",
            actor_id=operator.id,
            action="city.funding_caps",
            target_type="city",
            target_id=city.id,
            city_id=city.id,
            old=old,
            new=new,
        )
    return city
