"""A mixed load through nginx, as the clients behave: consumers claim at the drop, order with
idempotency keys and cancel some; tablets long-poll and accept; couriers report positions.
A request that gets no answer, a 502/503/504 is retried with the same key until it gets a
definitive answer; every 2xx answer is written down, to be found in the database afterwards."""

import itertools
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

RETRYABLE = {0, 502, 503, 504}


@dataclass
class Ledger:
    """What the service acknowledged, and every answer's status, with its time."""

    claims: dict[int, int] = field(default_factory=dict)  # consumer -> pack claim id
    orders: dict[str, int] = field(default_factory=dict)  # idempotency key -> order id
    order_times: list[float] = field(default_factory=list)  # monotonic time of each 201
    order_sent: list[float] = field(default_factory=list)  # when each 201's attempt was sent
    cancels: set[int] = field(default_factory=set)
    statuses: Counter = field(default_factory=Counter)
    refusals: Counter = field(default_factory=Counter)  # 4xx answers by path kind and code
    try_again: int = 0
    other_5xx: list[str] = field(default_factory=list)
    failures: list[float] = field(default_factory=list)  # monotonic time of each retryable
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, answer: requests.Response | None) -> int:
        status = 0 if answer is None else answer.status_code
        with self.lock:
            self.statuses[status] += 1
            if status in RETRYABLE:
                self.failures.append(time.monotonic())
            elif 400 <= status < 500:
                route = answer.request.path_url.split("?")[0].rstrip("/").split("/")[-1]
                self.refusals[f"{route}:{_code(answer)}"] += 1
            if status == 503 and _code(answer) == "try_again":
                self.try_again += 1
            elif status >= 500 and status not in (502, 504):
                self.other_5xx.append(f"{status} {answer.request.path_url} {answer.text[:200]}")
        return status

    def first_failure_after(self, moment: float) -> float | None:
        """The first answer after `moment` that was to be retried, if any."""
        with self.lock:
            return next((t for t in self.failures if t > moment), None)


@dataclass
class Load:
    """The actors of one world (simulate.prepare.prepare_world), run on threads until stopped."""

    url: str
    world: dict
    tag: str  # names this run in its idempotency keys
    session: Callable[[], requests.Session] = requests.Session  # a client trusting the proxy
    ledger: Ledger = field(default_factory=Ledger)
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)
    local: threading.local = field(default_factory=threading.local)

    def start(self) -> None:
        actors = [(self._consumer, c) for c in self.world["consumers"]]
        actors += [(self._tablet, s) for s in self.world["stores"] if s["mode"] == "tablet"]
        actors += [(self._courier, c) for c in self.world["couriers"]]
        for target, person in actors:
            thread = threading.Thread(target=target, args=(person,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(60)

    def call(
        self,
        http: requests.Session,
        method: str,
        path: str,
        token: str,
        *,
        key=None,
        json=None,
        params=None,
        retry: bool = True,
    ) -> requests.Response | None:
        """One request, retried with the same Idempotency-Key while there is no definitive
        answer (no answer, 502, 503, 504); None when stopped first."""
        headers = {"Authorization": f"Bearer {token}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        while True:
            self.local.sent = time.monotonic()  # this thread's last attempt
            try:
                answer = http.request(
                    method, self.url + path, headers=headers, json=json, params=params, timeout=30
                )
            except requests.RequestException:
                answer = None
            status = self.ledger.count(answer)
            if status not in RETRYABLE or not retry:
                return answer
            if self.stop.wait(0.3):
                return None

    def _consumer(self, person: dict) -> None:
        http, token, rng = self.session(), person["token"], random.Random(person["id"])
        home = {"lat": person["home"][0], "lon": person["home"][1]}
        coupon = self._claim(http, person, home)
        store = rng.choice(self.world["stores"])
        menu = self.call(http, "GET", f"/v1/stores/{store['id']}/products", token)
        goods = [
            i["sku"]
            for i in (menu.json()["items"] if menu is not None and menu.ok else [])
            if i["availability"] == "in"
        ]
        for n in itertools.count():
            if self.stop.is_set() or not goods:
                return
            body = {
                "items": [{"sku": rng.choice(goods), "qty": 1}],
                **home,
                "store_id": store["id"],
                "address": "高可用路1号",
                "payment_method": "wechat",
                "coupon_id": coupon if n == 0 else None,
            }
            key = f"order-{self.tag}-{person['id']}-{n}"
            placed = self.call(http, "POST", "/v1/orders", token, key=key, json=body)
            if _code(placed) == "no_store_available":
                goods.remove(body["items"][0]["sku"])  # sold out here: the consumer picks another
            if placed is not None and placed.status_code == 201:
                order_id = placed.json()["order"]["id"]
                with self.ledger.lock:
                    self.ledger.orders[key] = order_id
                    self.ledger.order_times.append(time.monotonic())
                    self.ledger.order_sent.append(self.local.sent)
                if rng.random() < 0.3:
                    self._cancel(http, token, order_id, f"cancel-{self.tag}-{person['id']}-{n}")
            self.stop.wait(rng.uniform(0.2, 0.6))

    def _claim(self, http, person: dict, home: dict) -> int | None:
        path = f"/v1/campaigns/{self.world['campaign_id']}/claim"
        while not self.stop.is_set():
            answer = self.call(
                http, "POST", path, person["token"], key=f"claim-{person['id']}", json=home
            )
            if answer is None:
                return None
            if answer.status_code == 201:
                with self.ledger.lock:
                    self.ledger.claims[person["id"]] = answer.json()["pack_claim_id"]
                return answer.json()["coupons"][0]["id"]
            if _code(answer) != "not_started":
                return None  # sold out, or the budget is spent: order without a coupon
            self.stop.wait(0.5)
        return None

    def _cancel(self, http, token: str, order_id: int, key: str) -> None:
        done = self.call(http, "POST", f"/v1/orders/{order_id}/cancel", token, key=key, json={})
        if done is not None and done.status_code == 200:
            with self.ledger.lock:
                self.ledger.cancels.add(order_id)

    def _tablet(self, store: dict) -> None:
        http, token, cursor = self.session(), store["token"], None
        while not self.stop.is_set():
            params = {"wait": 3, **({"after": cursor} if cursor else {})}
            feed = self.call(http, "GET", "/v1/store/feed", token, params=params, retry=False)
            if feed is None or feed.status_code != 200:
                self.stop.wait(0.5)  # the tablet's back-off, then it polls again
                continue
            cursor = feed.json()["cursor"]
            for event in feed.json()["events"]:
                move = {"placed": "accept", "reassigned": "accept", "accepted": "ready"}
                if event["kind"] in move:
                    path = f"/v1/store/orders/{event['order_id']}/{move[event['kind']]}"
                    self.call(http, "POST", path, token, json={})

    def _courier(self, person: dict) -> None:
        http, token = self.session(), person["token"]
        self.call(http, "POST", "/v1/courier/online", token)
        lat, lon = person["at"]
        while not self.stop.wait(1.0):
            # Positions are lazy writes (docs/ha.md): one lost in the gap is not retried.
            self.call(
                http,
                "PUT",
                "/v1/courier/location",
                token,
                json={"lat": lat, "lon": lon},
                retry=False,
            )


def _code(answer: requests.Response | None) -> str | None:
    try:
        return answer.json()["error"]["code"]
    except (AttributeError, ValueError, KeyError, TypeError):
        return None
