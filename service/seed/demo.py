"""Demo tokens for `make run`: one principal of each role, fresh tokens each time."""

from datetime import datetime

from sqlmodel import Session, select

from service.auth.models import Role
from service.auth.phones import normalise_phone
from service.auth.service import issue_token
from service.errors import NotFound
from service.people.models import Consumer, Courier, Operator
from service.seed.files import read_json
from service.stores.models import Store

DEMO = (
    (Role.CONSUMER, Consumer, Consumer.phone == "+8613800000001"),
    (Role.STORE, Store, Store.city_id.isnot(None)),
    (Role.COURIER, Courier, Courier.phone == "+8613900000001"),
    (Role.OPERATOR, Operator, Operator.city_id.is_(None)),
)


def make_demo_store_tablet(*, session: Session) -> None:
    """The store behind the demo store token takes orders on a tablet; every other seed store
    stays auto_accept, so a freshly loaded world with only gunicorn running keeps selling."""
    _, model, condition = DEMO[1]
    store = session.exec(select(model).where(condition).order_by(model.id)).first()
    if store is not None:
        store.intake_mode = "tablet"
        session.flush()


def issue_demo_tokens(*, session: Session, now: datetime) -> list[tuple[str, str, str]]:
    """(role, principal name, token) for the demo principals of the seed world."""
    issued = []
    for role, model, condition in DEMO:
        principal = session.exec(select(model).where(condition).order_by(model.id)).first()
        if principal is None:
            continue
        _, secret = issue_token(
            session=session, role=role, principal_id=principal.id, now=now, label="demo"
        )
        issued.append((role.value, principal.name, secret))
    return issued


def demo_consumers(*, session: Session) -> list[dict]:
    """The seed world's consumers (fixtures/people.json), for one-click sign-in in demo mode."""
    phones = [normalise_phone(phone) for _, phone, _ in read_json("people.json")["consumers"]]
    rows = session.exec(select(Consumer).where(Consumer.phone.in_(phones)).order_by(Consumer.id))
    return [{"id": c.id, "name": c.name} for c in rows]


def demo_consumer_token(*, session: Session, consumer_id: int, now: datetime) -> str:
    """A fresh token for one demo consumer (any other id is 404)."""
    if consumer_id not in {c["id"] for c in demo_consumers(session=session)}:
        raise NotFound(f"no demo consumer {consumer_id}")
    _, secret = issue_token(
        session=session, role=Role.CONSUMER, principal_id=consumer_id, now=now, label="demo"
    )
    return secret
