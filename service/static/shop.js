/* The consumer shop: place -> search / a store's menu -> coupons -> cart -> my orders. Opens
   signed out; sign-in is asked for when the consumer claims or orders. */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const el = Shop.el;
  const at = () => { const p = Shop.place(); return "lat=" + p.lat + "&lon=" + p.lon; };
  let cursor = null, shown = null, lastStore = null, countdown = null;

  /* A refusal as a sentence; "no store can deliver" says why, store by store. */
  Shop.refusal = function (error) {
    if (error instanceof HD.ApiError && error.code === "no_store_available") {
      const body = (error.body && error.body.error) || {};
      const reasons = body.reasons || (body.details && body.details.reasons) || {};
      if (lastStore && reasons.closed && Shop.cart_ && lastStore.id === (Shop.cart().storeId)) {
        return HD.t("store.closed_now", { store: lastStore.name, opens: lastStore.next_opening ? HD.time(lastStore.next_opening) : "" });
      }
      const parts = Object.entries(reasons).map(([code, n]) => HD.t("refusal.count", { n, reason: HD.word("refusal", code) }));
      return HD.t("error_code.no_store_available") + (parts.length ? "（" + parts.join(HD.t("list.sep")) + "）" : "");
    }
    return HD.errorText(error);
  };

  async function search(route, more) {
    if (!Shop.place()) { $("find-msg").textContent = HD.t("find.place_first"); return; }
    let path = "/v1/products/search?" + at() + "&q=" + encodeURIComponent(route.q) + "&category=" + encodeURIComponent(route.category);
    if (more && cursor) path += "&cursor=" + encodeURIComponent(cursor);
    if (!more) $("results").replaceChildren();
    $("find-msg").textContent = HD.t("find.searching");
    try {
      const found = await HD.api("GET", path);
      shown = { q: route.q, category: route.category, place: at() };
      cursor = found.next_cursor;
      $("more").hidden = !found.next_cursor;
      for (const hit of found.results) $("results").append(resultItem(hit));
      $("find-msg").textContent = $("results").children.length ? "" : HD.word("search_empty", found.empty_reason || "no_match");
    } catch (error) { $("find-msg").textContent = HD.errorText(error); }
  }

  function resultItem(hit) {
    const p = hit.product, s = hit.store;
    const spread = hit.other_stores ? HD.t("find.other_stores", { n: hit.other_stores, lowest: HD.yuan(hit.lowest_price_fen) }) : "";
    const minimum = s.min_basket_fen ? " · " + HD.t("store.min_basket", { fen: HD.yuan(s.min_basket_fen) }) : "";
    return el("li", { className: "hit" },
      el("div", { className: "grow" },
        el("div", { className: "name", textContent: p.name }),
        el("div", { className: "hd-muted", textContent: [p.brand, p.spec].filter(Boolean).join(" · ") }),
        el("div", { className: "hd-muted" }, el("button", { type: "button", className: "link", textContent: s.name,
          onclick: () => Shop.go({ ...Shop.route(), view: "store", id: s.id }) }),
          " · " + HD.t("find.eta", { minutes: s.eta_minutes, km: s.distance_km }) + minimum),
        spread ? el("div", { className: "hd-muted", textContent: spread }) : null),
      el("div", { className: "sh-buy" }, el("div", { className: "price", textContent: HD.yuan(hit.price_fen) }),
        el("span", { className: "tag " + hit.availability, textContent: HD.word("availability", hit.availability) }),
        el("button", { type: "button", className: "add", textContent: HD.t("find.add"),
                       onclick: () => Shop.cart_.add(p.sku, p.name, hit.price_fen, null) })));
  }

  async function openStore(storeId) {
    const box = $("store");
    try {
      const [store, menu] = await Promise.all([HD.api("GET", "/v1/stores/" + storeId), HD.api("GET", "/v1/stores/" + storeId + "/products")]);
      lastStore = store;
      const status = store.open_now ? HD.t("store.open") : HD.t("store.closed") +
        (store.next_opening ? "，" + HD.t("store.opens_at", { time: HD.time(store.next_opening) }) : "");
      box.replaceChildren(
        el("button", { type: "button", id: "store-back", className: "link", textContent: HD.t("store.back"), onclick: () => history.back() }),
        el("h2", { textContent: store.name }),
        el("p", { className: "hd-muted", textContent: status + " · " + HD.hours(store.opening_hours) }),
        el("p", { className: "hd-muted", textContent: HD.t("store.terms", { radius: store.delivery_radius_km, prep: store.prep_minutes,
          min: HD.yuan(store.min_basket_fen), fee: HD.yuan(store.delivery_fee_fen), free: HD.yuan(store.free_delivery_from_fen) }) }),
        store.campaigns.length ? el("p", { className: "hd-muted", textContent: HD.t("store.campaigns", { names: store.campaigns.map((c) => c.name).join("、") }) }) : null,
        el("ul", { className: "list", id: "menu" }, ...menu.items.map((item) => el("li", {},
          el("div", { className: "grow" }, el("div", { className: "name", textContent: item.name }),
            el("span", { className: "tag " + item.availability, textContent: HD.word("availability", item.availability) })),
          el("span", { className: "price", textContent: HD.yuan(item.price_fen) }),
          el("button", { type: "button", textContent: HD.t("store.add"), disabled: item.availability === "out",
                         onclick: () => Shop.cart_.add(item.sku, item.name, item.price_fen, store.id) })))));
      if (!menu.items.length) $("menu").append(el("li", { className: "hd-muted", textContent: HD.t("store.empty_menu") }));
    } catch (error) { box.replaceChildren(el("p", { className: "hd-error", textContent: HD.errorText(error) })); }
  }

  /* Campaigns: the open ones need a signed-in consumer; the next batch's countdown is public. */
  Shop.loadCoupons = async function () {
    if (!Shop.place()) return;
    $("coupons").hidden = false;
    try {
      const upcoming = await HD.api("GET", "/v1/campaigns/upcoming?" + at());
      startCountdown(upcoming.upcoming[0]);
      if (!HD.me) {
        $("campaigns").replaceChildren(el("li", {}, el("span", { className: "grow hd-muted", textContent: HD.t("coupons.sign_in") }),
          el("button", { type: "button", className: "primary", textContent: HD.t("coupons.sign_in_button"), onclick: () => HD.needSignIn() })));
        return;
      }
      const open = await HD.api("GET", "/v1/campaigns/open?" + at());
      $("campaigns").replaceChildren(...open.campaigns.map((c) => el("li", {},
        el("div", { className: "grow" }, el("div", { className: "name", textContent: c.name }),
          el("div", { className: "hd-muted", textContent: c.issuer_name + " · " + HD.t("coupons.pack_value", { fen: HD.yuan(c.pack_value_fen) }) +
            " · " + c.pack.map((t) => HD.t("coupon.rule", { threshold: t.threshold_fen / 100, discount: t.discount_fen / 100 })).join("、") })),
        el("button", { type: "button", className: "claim primary", textContent: HD.t(c.claimed ? "coupons.claimed" : "coupons.claim"),
                       disabled: c.claimed, onclick: () => claim(c.id) }))));
      if (!open.campaigns.length) $("campaigns").append(el("li", { className: "hd-muted", textContent: HD.t("coupons.none_open") }));
    } catch (error) { $("coupon-msg").className = "hd-error"; $("coupon-msg").textContent = HD.errorText(error); }
  };

  function startCountdown(next) {
    clearInterval(countdown);
    const box = $("countdown");
    box.hidden = !next;
    if (!next) return;
    const opens = Date.parse(next.opens_at), pad = (n) => String(n).padStart(2, "0");
    if (opens <= Date.now()) { box.hidden = true; return; }  // this browser's clock is behind the service's
    const tick = () => {
      const left = Math.max(0, Math.round((opens - Date.now()) / 1000));
      box.textContent = HD.t("coupons.countdown", { name: next.name, time: HD.time(next.opens_at),
        left: pad(Math.floor(left / 3600)) + ":" + pad(Math.floor(left / 60) % 60) + ":" + pad(left % 60) });
      if (!left) { clearInterval(countdown); Shop.loadCoupons(); }
    };
    tick();
    countdown = setInterval(tick, 1000);
  }

  async function claim(campaignId) {
    await HD.needSignIn();
    try {
      const claimed = await HD.api("POST", "/v1/campaigns/" + campaignId + "/claim", Shop.place());
      $("coupon-msg").className = "hd-ok";
      $("coupon-msg").textContent = HD.t("coupons.claimed_n", { n: claimed.coupons.length });
      Shop.loadCoupons();
      Shop.cart_.refresh();
    } catch (error) { $("coupon-msg").className = "hd-error"; $("coupon-msg").textContent = HD.errorText(error); }
  }

  /* Show the view the URL names. */
  Shop.onRoute = function (route) {
    Shop.orders.stop();
    $("view-shop").hidden = !["shop", "store"].includes(route.view);
    $("view-orders").hidden = route.view !== "orders";
    $("view-order").hidden = route.view !== "order";
    $("tab-shop").classList.toggle("is-on", !$("view-shop").hidden);
    $("tab-orders").classList.toggle("is-on", $("view-shop").hidden);
    if (route.view === "orders") return Shop.orders.list(false);
    if (route.view === "order") return Shop.orders.show(route.id);
    $("q").value = route.q || ""; $("category").value = route.category || "";
    const inStore = route.view === "store";
    $("store").hidden = !inStore; $("results").hidden = inStore; $("more").hidden = inStore || !cursor;
    if (inStore) { openStore(route.id); $("store").scrollIntoView(); return; }
    const same = shown && shown.q === route.q && shown.category === route.category && Shop.place() && shown.place === at();
    if ((route.q || route.category) && !same) search(route, false);
  };

  Shop.onPlace = function () {
    Shop.loadCoupons();
    Shop.cart_.refresh();
    const route = Shop.route();
    if (route.view === "shop" && (route.q || route.category)) search(route, false);
  };
  Shop.reorder = (order) => Shop.cart_.reorder(order);

  function start() {
    Shop.where.start();
    Shop.cart_.start();
    Shop.orders.start();
    $("search").addEventListener("submit", (e) => {
      e.preventDefault();
      const route = { view: "shop", q: $("q").value.trim(), category: $("category").value };
      if (!route.q && !route.category) { $("find-msg").textContent = HD.t("error_code.query_required"); return; }
      shown = null;
      Shop.go(route);
    });
    $("more").addEventListener("click", () => search(Shop.route(), true));
    $("tab-shop").addEventListener("click", () => Shop.go({ view: "shop", q: $("q").value.trim(), category: $("category").value }));
    $("tab-orders").addEventListener("click", () => Shop.go({ view: "orders" }));
    $("back-orders").addEventListener("click", () => Shop.go({ view: "orders" }));
    $("hd-main").hidden = false;
    Shop.onRoute(Shop.route());
    Shop.loadCoupons();
  }

  /* Each sign-in: coupons, the quote and an order whose answer was never seen. */
  async function signedIn() {
    Shop.loadCoupons();
    Shop.cart_.render();
    Shop.cart_.refresh();
    try {
      const order = await Shop.orders.resume();
      if (order) Shop.cart_.done(order);
    } catch (error) { $("order-msg").textContent = Shop.refusal(error); }
  }

  async function demoAccounts() {
    if (!window.HD_SHOP.demo) return [];
    try {
      const listed = await HD.api("GET", "/v1/demo/consumers");
      return listed.consumers.map((c) => ({ label: HD.t("signin.demo_as", { name: c.name }), fetch: async () =>
        (await HD.api("POST", "/v1/demo/consumers/" + c.id + "/token")).token }));
    } catch (error) { return []; }
  }

  start();
  demoAccounts().then((demo) => HD.signIn("consumer", signedIn, { demo, optional: true }));
})();
