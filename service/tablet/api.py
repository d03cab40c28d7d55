"""Store tablet routes (store token): the feed, the queue, actions and switches."""

import random

from flask import Blueprint, current_app, request

from service.auth.models import Role
from service.stores.models import Store
from service.tablet import feed, orders, shortpick, switches, waiting
from service.tablet.cursor import make_cursor, read_cursor
from service.tablet.schemas import (
    BusyIn,
    FeedQuery,
    FeedRead,
    QueueQuery,
    QueueRead,
    RejectedRead,
    RejectIn,
    ShortPickIn,
    SkuSwitchIn,
    StoreOrderRead,
    StoreStateRead,
)
from service.web.auth import BEARER, caller, require
from service.web.context import clock, database, db_session, finish_unit_of_work
from service.web.errors import error_body
from service.web.spec import ID, Resp, query_of, spec

bp = Blueprint("tablet", __name__, url_prefix="/v1/store")
ERRORS = {"HTTP_401": None, "HTTP_403": None, "HTTP_404": None, "HTTP_409": None, "HTTP_422": None}
ORDER = f"/orders/<{ID}:order_id>"
RETRY_AFTER_S = 10  # a refused poll comes back after 10 to 20 s


@bp.get("/feed")
@require(Role.STORE)
@spec.validate(
    query=FeedQuery,
    resp=Resp(HTTP_200=FeedRead, **ERRORS),
    tags=["store"],
    security=BEARER,
    skip_validation=True,  # a busy route: query_of validates (service.web.spec)
)
def feed_poll():
    """My orders' events after the cursor, oldest first; `wait` long-polls (at most 25 s)."""
    q = query_of(FeedQuery)
    store_id, secret = caller().principal_id, current_app.config["SECRET_KEY"]
    after = None if q.after is None else read_cursor(secret, store_id, q.after)
    page = feed.read_feed(session=db_session(), store_id=store_id, after=after)
    _heartbeat(store_id)
    if not page.events and after is not None and q.wait > 0:
        city_id = feed.store_city(db_session(), store_id)
        # Give the connection back before sleeping: a parked poll holds none (and no gate).
        finish_unit_of_work(commit=True)
        waiters = current_app.extensions["hourdelivery.waiters"]
        try:
            with current_app.extensions["hourdelivery.gate"].released():
                woken = waiters.wait(store_id, city_id, page.last_id, _wait_s(q.wait))
        except waiting.Full:
            return _full()
        if woken:
            page = feed.read_feed(session=db_session(), store_id=store_id, after=page.last_id)
    events = [feed.event_read(db_session(), row) for row in page.events] if page.events else []
    # Nothing new: the cursor given back is the one that came (signing is deterministic).
    cursor = q.after if after == page.last_id else make_cursor(secret, store_id, page.last_id)
    return FeedRead.model_validate({"events": events, "cursor": cursor, "more": page.more})


def _full():
    # Every slot of this worker holds a poll: the tablet waits Retry-After seconds (jittered,
    # so refused tablets do not come back together) and reconnects, maybe to another worker.
    retry = random.randint(RETRY_AFTER_S, 2 * RETRY_AFTER_S)
    body = error_body(
        code="feed_full",
        message=f"This server holds as many tablets as it can; poll again in {retry} s.",
        retry_after_s=retry,
    )
    return body, 503, {"Retry-After": str(retry), "Connection": "close"}


def _wait_s(asked: float) -> float:
    # Up to a quarter shorter than asked: tablets that started together (a shop-wide power
    # cut, a restart) would otherwise all time out and re-poll in the same instant, forever.
    cap = current_app.extensions["hourdelivery.settings"].max_poll_wait_s
    return min(asked, cap) * random.uniform(0.75, 1.0)


def _heartbeat(store_id: int) -> None:
    # A poll is a read; the heartbeat is written at most every 30 s, in its own short write.
    if feed.heartbeat_due(store_id):
        with database().unit_of_work() as session:
            feed.record_poll(session=session, store_id=store_id, now=clock().now())


@bp.get("/orders")
@require(Role.STORE)
@spec.validate(
    query=QueueQuery, resp=Resp(HTTP_200=QueueRead, **ERRORS), tags=["store"], security=BEARER
)
def queue():
    """My orders in a status (default: PLACED, ACCEPTED and READY), oldest first."""
    return QueueRead(
        orders=orders.queue(
            session=db_session(),
            store_id=caller().principal_id,
            status=request.context.query.status,
        )
    )


@bp.get(ORDER)
@require(Role.STORE)
@spec.validate(resp=Resp(HTTP_200=StoreOrderRead, **ERRORS), tags=["store"], security=BEARER)
def show(order_id: int):
    """One of my orders with its pick list (name, sku, qty, unit price, the shelf's on-hand)."""
    session = db_session()
    order = orders.store_order(session, store_id=caller().principal_id, order_id=order_id)
    return orders.store_order_read(session, order)


def _act(action, order_id: int, **args) -> StoreOrderRead:
    session = db_session()
    order = action(
        session=session,
        store_id=caller().principal_id,
        order_id=order_id,
        now=clock().now(),
        **args,
    )
    return orders.store_order_read(session, order)


MOVES = {"accept": orders.accept, "ready": orders.ready}


@bp.post(f"{ORDER}/<any(accept, ready):move>")
@require(Role.STORE)
@spec.validate(resp=Resp(HTTP_200=StoreOrderRead, **ERRORS), tags=["store"], security=BEARER)
def accept_or_ready(order_id: int, move: str):
    """accept: PLACED -> ACCEPTED; ready: ACCEPTED -> READY (picked and packed); 409 with the
    current status otherwise."""
    return _act(MOVES[move], order_id)


@bp.post(f"{ORDER}/reject")
@require(Role.STORE)
@spec.validate(
    json=RejectIn, resp=Resp(HTTP_200=RejectedRead, **ERRORS), tags=["store"], security=BEARER
)
def reject(order_id: int):
    """Refuse a PLACED order: it moves to the next store, or is cancelled with all given back."""
    order = orders.reject(
        session=db_session(),
        store_id=caller().principal_id,
        order_id=order_id,
        reason=request.context.json.reason.value,
        now=clock().now(),
    )
    outcome = "cancelled" if order.status == "CANCELLED" else "reassigned"
    return RejectedRead(id=order.id, outcome=outcome)


@bp.post(f"{ORDER}/short-pick")
@require(Role.STORE)
@spec.validate(
    json=ShortPickIn, resp=Resp(HTTP_200=StoreOrderRead, **ERRORS), tags=["store"], security=BEARER
)
def short_pick(order_id: int):
    """Fewer units of a line than ordered: the consumer gets back what they paid for them."""
    body: ShortPickIn = request.context.json
    return _act(shortpick.short_pick, order_id, line_id=body.line_id, picked_qty=body.picked_qty)


@bp.get("/state")
@require(Role.STORE)
@spec.validate(resp=Resp(HTTP_200=StoreStateRead, **ERRORS), tags=["store"], security=BEARER)
def state():
    """My store's switches (busy, intake mode, flag) and last poll."""
    session = db_session()
    return switches.store_state(session, session.get(Store, caller().principal_id))


@bp.post("/busy")
@require(Role.STORE)
@spec.validate(
    json=BusyIn, resp=Resp(HTTP_200=StoreStateRead, **ERRORS), tags=["store"], security=BEARER
)
def busy():
    """Pause (busy) or resume taking new orders."""
    return switches.set_busy(
        session=db_session(),
        store_id=caller().principal_id,
        busy=request.context.json.busy,
        now=clock().now(),
    )


@bp.post("/skus")
@require(Role.STORE)
@spec.validate(
    json=SkuSwitchIn, resp=Resp(HTTP_200=None, **ERRORS), tags=["store"], security=BEARER
)
def sku():
    """Mark a SKU unavailable until the store's next day, or restock it."""
    body: SkuSwitchIn = request.context.json
    return switches.set_sku(
        session=db_session(),
        store_id=caller().principal_id,
        sku=body.sku,
        unavailable=body.unavailable,
        now=clock().now(),
    )
