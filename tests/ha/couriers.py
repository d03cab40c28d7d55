"""The HA load's couriers, as the courier API allows (service/deliveries/courier_api.py): a
position every second (a lazy write, never retried), an offer taken when the position's answer
says one waits, then the job read back from the service each second and moved on: at the store,
picked up once the order is READY, handed over with the consumer's code.

Reading the job back each second makes every step safe to repeat: a step whose answer was lost
in a failover is either seen done at the next read or refused (409) and read again.
"""

import requests

NEXT = {"ASSIGNED": "arrived-at-store", "AT_STORE": "picked-up", "PICKED_UP": "delivered"}


def courier(load, person: dict) -> None:
    """One courier's shift through the load (tests/ha/load.py), standing where he is."""
    http, token = load.session(), person["token"]
    load.call(http, "POST", "/v1/courier/online", token)
    lat, lon = person["at"]
    while not load.stop.wait(1.0):
        # Positions are lazy writes (docs/ha.md): one lost in the gap is not retried.
        moved = load.call(
            http, "PUT", "/v1/courier/location", token, json={"lat": lat, "lon": lon}, retry=False
        )
        held = load.call(http, "GET", "/v1/courier/deliveries/current", token, retry=False)
        if held is None or held.status_code != 200:
            continue
        jobs = held.json()["deliveries"]
        for job in jobs:
            _step(load, http, token, job)
        if not jobs and _offered(moved):
            _take_offer(load, http, token)


def _offered(moved: requests.Response | None) -> bool:
    """Whether an idle courier holds an offer: the location's answer says (when it came)."""
    return moved is not None and moved.status_code == 204 and moved.headers["X-Courier-Held"] != "0"


def _take_offer(load, http, token: str) -> None:
    offers = load.call(http, "GET", "/v1/courier/offers", token)
    for offer in offers.json()["deliveries"] if offers is not None and offers.ok else []:
        taken = load.call(http, "POST", f"/v1/courier/offers/{offer['id']}/accept", token)
        if taken is not None and taken.ok:
            return


def _step(load, http, token: str, job: dict) -> None:
    """The job's next step, if it can be taken now."""
    step = NEXT.get(job["status"])
    if step is None or (step == "picked-up" and job["order_status"] != "READY"):
        return  # the store has not put the bag out yet: he waits at the counter
    body = None
    if step == "delivered":
        code = load.codes.get(job["order_id"])
        if code is None:
            return  # an order of a consumer not in this load: he cannot ask for its code
        body = {"code": code}
    path = f"/v1/courier/deliveries/{job['id']}/{step}"
    done = load.call(http, "POST", path, token, json=body)
    if step == "delivered" and done is not None and done.status_code == 200:
        load.ledger.note("delivered", job["order_id"])
