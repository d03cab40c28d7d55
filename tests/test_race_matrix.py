"""The race matrix: every pair of actions that can meet on one order, fired together at orders
in the right state, against real gunicorn workers on both engines.

After each pair's round: no 500 (nor a 503 from a deadlock), no deadlock in the server log,
every answer the effect or a 409 naming the current status, and `check money` clean. Each
round fires the pair at PER_ROUND orders at once (2 x PER_ROUND concurrent callers), ROUNDS
times: 13 pairs x 2 rounds x 4 orders = 104 meetings per engine, about 30-40 s per engine on a
quiet 2-core machine.
"""

import re

import pytest

from service.checks.service import find_differences
from service.orders.models import Order
from tests.support.live import start_server
from tests.support.matrix import Arena, fire_together

pytestmark = pytest.mark.live
PER_ROUND, ROUNDS = 4, 2


def cancel(a, t):
    return a.post(f"/v1/orders/{t.id}/cancel", t.consumer, {"reason": "changed_mind"})


def store(action, **body):
    return lambda a, t: a.post(f"/v1/store/orders/{t.id}/{action}", t.staff, body or None)


def short_pick(a, t):
    return a.post(
        f"/v1/store/orders/{t.id}/short-pick", t.staff, {"line_id": t.line_id, "picked_qty": 1}
    )


def pick_up(a, t):
    return a.post(f"/v1/courier/deliveries/{t.delivery_id}/picked-up", t.courier)


def deliver(a, t):
    return a.post(f"/v1/courier/deliveries/{t.delivery_id}/delivered", t.courier, {"code": t.code})


def deadline(a, t):
    return a.deadline(t.id)


accept, ready, reject = store("accept"), store("ready"), store("reject", reason="too_busy")

# name -> (stage the orders are in, one side, the other side, how many may succeed per order)
PAIRS = {
    "cancel x accept": ("PLACED", cancel, accept, None),
    "cancel x reject": ("PLACED", cancel, reject, None),
    "cancel x deadline re-route": ("PLACED", cancel, deadline, None),
    "cancel x short-pick": ("ACCEPTED", cancel, short_pick, None),
    "cancel x ready": ("ACCEPTED", cancel, ready, None),
    "cancel x dispatch offer": ("DISPATCHABLE", cancel, None, None),
    "cancel x pick-up": ("READY", cancel, pick_up, 1),
    "cancel x deliver": ("PICKED_UP", cancel, deliver, 1),
    "short-pick x ready": ("ACCEPTED", short_pick, ready, None),
    "short-pick x short-pick of the line": ("ACCEPTED", short_pick, short_pick, 1),
    "pick-up x deliver": ("READY", pick_up, deliver, None),
    "accept x accept": ("PLACED", accept, accept, 1),
    "deliver x deliver": ("PICKED_UP", deliver, deliver, 1),
}


@pytest.fixture(scope="module")
def arena(template, tmp_path_factory):
    url = template.copy()
    server = start_server(url, tmp_path_factory.mktemp("matrix"), threads=8)
    yield Arena(server.url, url), server
    server.stop(quick=True)
    template.drop(url)


@pytest.mark.parametrize("pair", list(PAIRS))
def test_a_pair_of_actions_meeting_on_orders_leaves_money_and_stock_exact(arena, pair):
    world, server = arena
    stage, one, other, at_most = PAIRS[pair]
    for _ in range(ROUNDS):
        targets = world.batch(stage, PER_ROUND)
        calls = [one(world, t) for t in targets]
        calls += [world.tick()] if other is None else [other(world, t) for t in targets]
        results = fire_together(calls)
        check_answers(results)
        if at_most == 1:  # the two sides cannot both take effect on one order
            for t, mine, theirs in zip(targets, results, results[len(targets) :], strict=False):
                assert (mine[0] < 300) + (theirs[0] < 300) <= 1, (t.id, mine, theirs)
        check_world(world, server, targets)


def check_answers(results: list) -> None:
    """Each answer is the effect (2xx, or a job's return) or a 409 naming the status."""
    for result in results:
        assert not isinstance(result, Exception), results
        status, body = result
        if status == "job" or status < 300:
            continue
        assert status == 409 and "status" in body["error"], results


def check_world(world: Arena, server, targets) -> None:
    log = server.log.read_text()
    assert not re.search(r"deadlock|Traceback", log, re.IGNORECASE), log[-3000:]
    with world.database.unit_of_work(write=False) as session:
        assert find_differences(session=session) == []
        statuses = {session.get(Order, t.id).status for t in targets}
    assert statuses <= {"PLACED", "ACCEPTED", "READY", "PICKED_UP", "DELIVERED", "CANCELLED"}
