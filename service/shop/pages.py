"""The consumer shop page, and the demo consumers' one-click sign-in in demo mode."""

import functools

from flask import Blueprint, current_app, render_template, send_from_directory
from sqlmodel import SQLModel

from service.errors import NotFound
from service.i18n.catalogue import CATEGORIES, category_names
from service.seed.demo import demo_consumer_token, demo_consumers
from service.seed.files import read_json
from service.web.context import clock, db_session
from service.web.spec import ID, Resp, spec

bp = Blueprint("shop", __name__)


class DemoConsumerRead(SQLModel):
    id: int
    name: str


class DemoConsumersRead(SQLModel):
    consumers: list[DemoConsumerRead]


class DemoTokenRead(SQLModel):
    token: str


@bp.get("/")
def shop():
    """The mobile shop page: place, search, store menus, coupons, cart, my orders."""
    return render_template(
        "shop.html",
        places=_places(),
        demo=_demo_mode(),
        categories=CATEGORIES,
        category_names=category_names(),
    )


@bp.get("/favicon.ico")
def favicon():
    """The site icon browsers ask for on every page."""
    return send_from_directory(current_app.static_folder, "favicon.ico", max_age=86400)


@bp.get("/v1/demo/consumers")
@spec.validate(resp=Resp(HTTP_200=DemoConsumersRead, HTTP_404=None), tags=["demo"])
def consumers():
    """Demo mode only (else 404): the seed's consumers, to sign in as with one click."""
    _require_demo()
    return DemoConsumersRead(consumers=demo_consumers(session=db_session()))


@bp.post(f"/v1/demo/consumers/<{ID}:consumer_id>/token")
@spec.validate(resp=Resp(HTTP_200=DemoTokenRead, HTTP_404=None), tags=["demo"])
def token(consumer_id: int):
    """Demo mode only (else 404): a fresh token for a demo consumer, in the body (never a URL)."""
    _require_demo()
    secret = demo_consumer_token(session=db_session(), consumer_id=consumer_id, now=clock().now())
    return DemoTokenRead(token=secret)


def _demo_mode() -> bool:
    return current_app.extensions["hourdelivery.settings"].demo


def _require_demo() -> None:
    if not _demo_mode():
        raise NotFound("not found")


@functools.cache
def _places() -> list[dict]:
    """The seed cities' districts, as the page's location picker offers them."""
    return [
        {
            "city": c["name"],
            "points": [
                {"name": n, "lat": lat, "lon": lon} for n, lat, lon in c.get("districts", [])
            ],
        }
        for c in read_json("cities.json")
    ]
