/* The cart: lines kept in this browser, the service's live quote, the coupon the service says
   saves most (re-decided on every change; the consumer's own pick kept while still usable). */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const el = Shop.el;
  let cart = Shop.cart(), quote = null, placing = false, asked = 0;

  function save() { Shop.saveCart(cart); }

  function add(sku, name, priceFen, storeId) {
    if (storeId && cart.storeId && storeId !== cart.storeId) cart.lines = [];  // another store's menu
    cart.storeId = storeId || (cart.lines.length ? cart.storeId : null);
    const line = cart.lines.find((l) => l.sku === sku);
    if (line) line.qty += 1; else cart.lines.push({ sku, name, qty: 1, priceFen });
    changed();
  }

  function bump(sku, by) {
    const line = cart.lines.find((l) => l.sku === sku);
    if (line) line.qty += by;
    cart.lines = cart.lines.filter((l) => l.qty > 0);
    if (!cart.lines.length) { cart.storeId = null; cart.couponId = null; cart.couponChosen = false; cart.noCoupon = false; }
    changed();
  }

  function changed() {
    save();
    render();
    refresh();
  }

  function render() {
    $("cart").hidden = cart.lines.length === 0;
    $("lines").replaceChildren(...cart.lines.map((line) => el("li", { className: "sh-line" },
      el("div", { className: "grow name", textContent: line.name }),
      el("span", { className: "hd-muted", textContent: HD.yuan(line.priceFen) }),
      el("div", { className: "qty" },
        el("button", { type: "button", textContent: "−", ariaLabel: HD.t("cart.less"), onclick: () => bump(line.sku, -1) }),
        el("span", { className: "n", textContent: String(line.qty) }),
        el("button", { type: "button", textContent: "+", ariaLabel: HD.t("cart.more"), onclick: () => bump(line.sku, 1) })))));
    if (!HD.me && cart.lines.length) {
      const subtotal = cart.lines.reduce((sum, l) => sum + l.qty * l.priceFen, 0);
      $("quote").replaceChildren(el("p", { textContent: HD.t("cart.subtotal_signed_out", { subtotal: HD.yuan(subtotal) }) }));
      $("coupon-options").replaceChildren();
      $("hint").textContent = "";
    }
  }

  function basket(couponId) {
    const place = Shop.place();
    const body = { items: cart.lines.map((l) => ({ sku: l.sku, qty: l.qty })), payment_method: "wechat",
                   lat: place.lat, lon: place.lon };
    if (cart.storeId) body.store_id = cart.storeId;
    if (couponId) body.coupon_id = couponId;
    return body;
  }

  /* Quote the basket; the coupon is the consumer's usable pick, else the service's suggestion. */
  async function refresh() {
    if (!cart.lines.length || !Shop.place() || !HD.me) return;
    const mine = ++asked;  // a newer change supersedes an answer still on its way
    document.body.dataset.quoting = "1";
    try {
      let answer = await HD.api("POST", "/v1/quote", basket(null));
      const usable = (id) => answer.coupons.some((c) => c.coupon_id === id && c.saves_fen > 0);
      if (cart.couponChosen && !usable(cart.couponId)) { cart.couponChosen = false; cart.couponId = null; }
      const best = answer.suggested_coupon ? answer.suggested_coupon.coupon_id : null;
      const use = cart.noCoupon ? null : cart.couponChosen ? cart.couponId : best;
      if (use) answer = await HD.api("POST", "/v1/quote", basket(use));
      if (mine !== asked) return;
      cart.couponId = use;
      save();
      quote = answer;
      showQuote(answer, best);
      $("order-msg").textContent = "";
    } catch (error) {
      if (mine !== asked) return;
      quote = null;
      $("quote").replaceChildren(el("p", { className: "hd-error", id: "quote-error", textContent: Shop.refusal(error) }));
      $("coupon-options").replaceChildren();
    } finally {
      if (mine === asked) delete document.body.dataset.quoting;
    }
  }

  function couponLabel(c) { return HD.t("coupon.rule", { threshold: c.threshold_fen / 100, discount: c.discount_fen / 100 }); }

  function showQuote(q, best) {
    const rows = [[HD.t("order.subtotal"), HD.yuan(q.subtotal_fen)]];
    if (q.promotion) rows.push([q.promotion.name, "−" + HD.yuan(q.promotion.discount_fen)]);
    if (q.coupon) rows.push([HD.t("order.coupon"), "−" + HD.yuan(q.coupon.discount_fen)]);
    rows.push([HD.t("order.delivery_fee"), q.delivery_fee_fen ? HD.yuan(q.delivery_fee_fen) : HD.t("quote.free_delivery")]);
    $("quote").replaceChildren(
      el("p", { className: "hd-muted", textContent: HD.t("quote.from_store", { store: q.store.name }) }),
      el("table", { className: "totals" }, ...rows.map(([k, v]) => el("tr", {}, el("td", { textContent: k }), el("td", { textContent: v }))),
        el("tr", { className: "payable" }, el("td", { textContent: HD.t("quote.payable") }), el("td", { id: "payable", textContent: HD.yuan(q.payable_fen) }))));
    const pick = (id, none) => { cart.couponId = id; cart.couponChosen = Boolean(id); cart.noCoupon = none; save(); refresh(); };
    $("coupon-options").replaceChildren(...q.coupons.map((c) => el("li", { className: "sh-coupon" },
      el("label", { className: "grow" }, el("input", { type: "radio", name: "coupon", value: String(c.coupon_id),
        checked: c.coupon_id === cart.couponId, disabled: !c.saves_fen, onchange: () => pick(c.coupon_id, false) }),
        " " + couponLabel(c) + " ",
        el("span", { className: c.saves_fen ? "hd-ok" : "hd-muted", textContent: c.saves_fen ? HD.t("coupon.saves", { fen: HD.yuan(c.saves_fen) })
          : c.add_fen ? HD.t("coupon.add_more", { fen: HD.yuan(c.add_fen) }) : HD.word("coupon_refusal", c.refusal) }),
        c.coupon_id === best ? el("span", { className: "tag best", textContent: HD.t("coupon.best") }) : null))),
      ...(q.coupons.length ? [el("li", {}, el("label", { className: "grow" }, el("input", { type: "radio", name: "coupon", value: "",
        checked: !cart.couponId, onchange: () => pick(null, true) }), " " + HD.t("coupon.none")))] : []));
    const hint = q.next_threshold;
    $("hint").textContent = hint ? HD.t("quote.next_threshold", { add: HD.yuan(hint.add_fen), saves: HD.yuan(hint.saves_fen) }) : "";
  }

  async function placeOrder() {
    if (placing) return;  // a second tap while the first is in flight: nothing
    const address = $("address").value.trim();
    if (!address) { $("order-msg").textContent = HD.t("cart.address_required"); $("address").focus(); return; }
    if (!HD.me) { await HD.needSignIn(); return; }  // signed in: the quote shows, then the consumer taps again
    if (!quote) { await refresh(); if (!quote) return; }
    placing = true;
    $("place-order").disabled = true;
    $("order-msg").textContent = "";
    try {
      const order = await Shop.orders.place({ ...basket(cart.couponId), address, expected_payable_fen: quote.payable_fen });
      done(order);
    } catch (error) {
      $("order-msg").textContent = Shop.refusal(error);
      if (error.code === "price_changed") refresh();
    } finally {
      placing = false;
      $("place-order").disabled = false;
    }
  }

  /* The order is placed: the cart empties and the page shows the order. */
  function done(order) {
    cart = { lines: [], storeId: null, couponId: null, couponChosen: false, noCoupon: false, address: cart.address };
    save();
    render();
    Shop.loadCoupons();
    Shop.go({ view: "order", id: order.id });
  }

  Shop.cart_ = {
    add, refresh, render, done,
    reorder(order) {
      cart.lines = order.lines.map((l) => ({ sku: l.sku, name: l.name, qty: l.qty, priceFen: l.unit_price_fen }));
      cart.storeId = order.store.id; cart.couponChosen = false; cart.noCoupon = false; cart.couponId = null;
      changed();
      Shop.go({ view: "shop" });
      $("cart").scrollIntoView();
    },
    start() {
      $("place-order").addEventListener("click", placeOrder);
      $("address").value = cart.address || "";
      $("address").addEventListener("input", () => { cart.address = $("address").value; save(); $("order-msg").textContent = ""; });
      render();
    },
  };
})();
