"""Field types of JSON request bodies where money, counts, switches or times are concerned.

Money and switches take JSON's own types only (pydantic's strict mode): `"paused": "yes"` or
`"qty": true` are 422, not coerced. Query-string models keep plain `int`/`bool`, which accept the
usual text forms (`?open=1`). Times must be zone-aware and lie between 1970 and 2999 in UTC, so
converting them to any city's zone cannot overflow.
"""

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Strict

FIRST = datetime(1970, 1, 1, tzinfo=UTC)
LAST = datetime(3000, 1, 1, tzinfo=UTC)

StrictInt = Annotated[int, Strict()]
Switch = Annotated[bool, Strict()]


def _within_calendar(value: datetime) -> datetime:
    try:
        inside = FIRST <= value.astimezone(UTC) < LAST
    except OverflowError:
        inside = False
    if not inside:
        raise ValueError("a time must lie between 1970 and 2999")
    return value


Instant = Annotated[AwareDatetime, AfterValidator(_within_calendar)]
