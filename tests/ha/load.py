"""A mixed load through nginx, as the clients behave: consumers claim at the drop, order with
idempotency keys, pay at the sandbox cashier and cancel some (the money going back through the
provider); tablets long-poll and accept; couriers report positions and take, fetch and hand
over their offers (tests/ha/couriers.py). A request that gets no answer, a 502/503/504 is
retried (with the same key) until it gets a definitive answer; every 2xx answer is written
down in the ledger, to be found in the database afterwards."""

import itertools
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlparse

import requests

from tests.ha import couriers
from tests.ha.ledger import RETRYABLE, Ledger, code_of


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

    @property
    def codes(self) -> dict[int, str]:
        """Each order's hand-over code, as its consumer would tell the courier (kept in the
        world: a courier may deliver an order of an earlier run)."""
        return self.world.setdefault("handoff_codes", {})

    def start(self) -> None:
        actors = [(self._consumer, c) for c in self.world["consumers"]]
        actors += [(self._tablet, s) for s in self.world["stores"] if s["mode"] == "tablet"]
        actors += [(couriers.courier, c) for c in self.world["couriers"]]
        for target, person in actors:
            args = (self, person) if target is couriers.courier else (person,)
            thread = threading.Thread(target=target, args=args, daemon=True)
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
            if code_of(placed) == "no_store_available":
                goods.remove(body["items"][0]["sku"])  # sold out here: the consumer picks another
            if placed is not None and placed.status_code == 201:
                self._placed(http, token, key, placed.json(), rng, f"{person['id']}-{n}")
            self.stop.wait(rng.uniform(0.2, 0.6))

    def _placed(self, http, token: str, key: str, placed: dict, rng, name: str) -> None:
        """Acknowledged: pay at once, then cancel three orders in ten (refunded)."""
        order_id = placed["order"]["id"]
        self.ledger.placed(key, order_id, self.local.sent)
        self.codes[order_id] = placed["order"]["handoff_code"]
        self._pay(http, token, order_id, placed.get("payment") or {})
        if rng.random() < 0.3:
            cancel = f"cancel-{self.tag}-{name}"
            done = self.call(
                http, "POST", f"/v1/orders/{order_id}/cancel", token, key=cancel, json={}
            )
            if done is not None and done.status_code == 200:
                self.ledger.note("cancels", order_id)

    def _pay(self, http, token: str, order_id: int, payment: dict) -> None:
        """Press "pay" at the sandbox cashier (a replay settles once: service/payments/cashier)."""
        if payment.get("status") == "PAID":  # a replayed placement that was paid meanwhile
            self.ledger.note("paid", order_id)
            return
        if not payment.get("pay_url"):  # the provider was not reached: "pay again" opens it
            again = self.call(http, "POST", f"/v1/orders/{order_id}/pay", token)
            payment = again.json() if again is not None and again.status_code == 200 else {}
        if not payment.get("pay_url"):
            return
        path = urlparse(payment["pay_url"]).path
        paid = self.call(http, "POST", path, token, json={"action": "pay", "deliver": "now"})
        if paid is not None and paid.status_code == 200 and paid.json()["paid"]:
            self.ledger.note("paid", order_id)

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
            if code_of(answer) != "not_started":
                return None  # sold out, or the budget is spent: order without a coupon
            self.stop.wait(0.5)
        return None

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
