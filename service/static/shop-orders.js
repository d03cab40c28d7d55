/* My orders: placing one exactly once (its Idempotency-Key kept until the answer is seen), the
   list, one order's live status, hand-off code, tracking link, short-pick refund, cancel, re-order. */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const el = Shop.el;
  const FINAL = ["DELIVERED", "CANCELLED"];
  const CANCELLABLE = ["PLACED", "ACCEPTED", "READY"];
  let poll = null, before = null;

  /* POST the order under its kept key; a replay of an earlier attempt answers with that order. */
  async function place(body) {
    let pending = Shop.pending();
    if (!pending || JSON.stringify(pending.body) !== JSON.stringify(body)) {
      pending = { key: Shop.newKey(), body };
      Shop.setPending(pending);
    }
    return send(pending);
  }

  async function send(pending) {
    try {
      const placed = await HD.api("POST", "/v1/orders", pending.body, { "Idempotency-Key": pending.key });
      Shop.setPending(null);
      return placed.order;
    } catch (error) {
      // An answer was seen (refused): this attempt is over; offline: keep the key for the retry.
      if (error instanceof HD.ApiError && error.status < 500) Shop.setPending(null);
      throw error;
    }
  }

  /* After a reload: an order whose answer was never seen is sent again under its key (a replay,
     never a second order); the page then shows that order's current status. */
  async function resume() {
    const pending = Shop.pending();
    if (!pending) return null;
    await HD.needSignIn();
    const order = await send(pending);
    return order;
  }

  function statusLine(order) {
    if (order.status === "CANCELLED") {
      return HD.word("order_status", "CANCELLED") + (order.cancel_reason ? "（" + HD.word("cancel_reason", order.cancel_reason) + "）" : "");
    }
    return HD.word("order_status", order.status);
  }

  async function list(more) {
    await HD.needSignIn();
    const path = "/v1/orders?limit=10" + (more && before ? "&before=" + before : "");
    try {
      const page = await HD.api("GET", path);
      before = page.next_before;
      $("orders-more").hidden = !page.next_before;
      const items = page.orders.map((order) => el("li", { className: "sh-order" },
        el("div", { className: "grow" },
          el("div", { className: "name", textContent: order.store.name }),
          el("div", { className: "hd-muted", textContent: HD.dateTime(order.placed_at) + " · " +
            HD.t("orders.items", { n: order.lines.reduce((n, l) => n + l.qty, 0) }) + " · " + HD.yuan(order.payable_fen) })),
        el("span", { className: "sh-status " + order.status.toLowerCase(), textContent: HD.word("order_status_short", order.status) }),
        el("button", { type: "button", textContent: HD.t("orders.open"), onclick: () => Shop.go({ view: "order", id: order.id }) })));
      if (more) $("order-list").append(...items); else $("order-list").replaceChildren(...items);
      $("orders-msg").textContent = $("order-list").children.length ? "" : HD.t("orders.none");
    } catch (error) { $("orders-msg").textContent = HD.errorText(error); }
  }

  function money(order) {
    const rows = [[HD.t("order.subtotal"), HD.yuan(order.subtotal_fen)]];
    if (order.promotion_fen) rows.push([HD.t("order.promotion"), "−" + HD.yuan(order.promotion_fen)]);
    if (order.coupon_fen) rows.push([HD.t("order.coupon"), "−" + HD.yuan(order.coupon_fen)]);
    rows.push([HD.t("order.delivery_fee"), order.delivery_fee_fen ? HD.yuan(order.delivery_fee_fen) : HD.t("quote.free_delivery")]);
    rows.push([HD.t("order.paid"), HD.yuan(order.payable_fen), "payable"]);
    if (order.refunded_fen) {
      rows.push([HD.t(order.short_pick ? "order.refund" : "order.refunded"), "−" + HD.yuan(order.refunded_fen), "refund"]);
      rows.push([HD.t("order.net"), HD.yuan(order.net_fen), "net"]);
    }
    return el("table", { className: "totals" }, ...rows.map(([k, v, id]) =>
      el("tr", { className: id || "" }, el("td", { textContent: k }), el("td", { id: id ? "order-" + id : "", textContent: v }))));
  }

  function shortPick(order) {
    const short = order.short_pick;
    if (!short || !short.missing || !short.missing.length) return null;
    return el("div", { className: "sh-short", id: "short-pick" },
      el("p", { className: "name", textContent: HD.t("order.short_title") }),
      el("ul", {}, ...short.missing.map((m) => el("li", { textContent: HD.t("order.short_line",
        { name: m.name, missing: m.missing_qty, qty: m.qty, refund: HD.yuan(m.refund_fen) }) }))),
      el("p", { className: "hd-muted", textContent: HD.t("order.short_refund", { refund: HD.yuan(short.refund_fen),
        paid: HD.yuan(order.paid_fen || order.payable_fen), net: HD.yuan(inTheEnd(order)) }) }));
  }

  /* What the consumer pays in the end: a refund still on its way at the provider counts too. */
  function inTheEnd(order) {
    return order.net_fen - (order.refund_pending_fen || 0);
  }

  function eventText(event) {
    const refund = event.data && (event.data.refund_fen || event.data.refunded_fen);
    if (event.kind === "short_picked" && refund) return HD.t("event_kind.short_picked_refund", { refund: HD.yuan(refund) });
    return HD.word("event_kind", event.kind) || HD.word("order_status", event.to_status);
  }

  function render(order) {
    const box = $("order");
    const eta = FINAL.includes(order.status) ? "" : HD.t("order.eta", { eta: HD.time(order.eta_at), promised: HD.time(order.promised_at) });
    box.replaceChildren(...[
      el("h2", { textContent: HD.t("order.title", { id: order.id }) }),
      el("p", { id: "order-status", className: "name sh-big", textContent: statusLine(order) }),
      el("p", { textContent: order.store.name + (eta ? " · " + eta : "") }),
      FINAL.includes(order.status) ? null : el("p", { className: "hd-muted" }, HD.t("order.code") + " ",
        el("span", { className: "code", id: "handoff-code", textContent: order.handoff_code })),
      el("p", { className: "hd-muted", textContent: HD.t("order.deliver_to", { address: order.address }) }),
      shortPick(order),
      el("ul", { className: "list sh-lines" }, ...order.lines.map((line) => el("li", {},
        el("span", { className: "grow", textContent: line.name }), el("span", { textContent: "×" + line.qty }),
        el("span", { textContent: HD.yuan(line.amount_fen) })))),
      window.HDPay ? HDPay.step(order) : null, // the payment step: countdown, pay, pay again (pay.js)
      money(order),
      el("ol", { className: "timeline", id: "timeline" }, ...order.events.map((e) =>
        el("li", {}, el("time", { textContent: HD.time(e.at) + " " }), eventText(e)))),
      el("p", { id: "order-links", className: "row" },
        CANCELLABLE.includes(order.status) ? el("button", { type: "button", id: "cancel-order", textContent: HD.t("order.cancel"),
                                                            onclick: () => cancel(order) }) : null,
        el("button", { type: "button", id: "reorder", textContent: HD.t("order.reorder"), onclick: () => Shop.reorder(order) })),
      el("p", { id: "order-error", className: "hd-error", role: "alert" })].filter(Boolean));
    tracking(order);
  }

  /* Once a delivery exists the order has a public tracking page. */
  async function tracking(order) {
    if (order.status === "PLACED" || order.status === "CANCELLED") return;
    try {
      const found = await HD.api("GET", "/v1/orders/" + order.id + "/tracking");
      if (!found.share_token || $("track-link")) return;
      $("order-links").prepend(el("a", { id: "track-link", href: "/track/" + found.share_token, textContent: HD.t("order.track") }));
    } catch (error) { /* no delivery yet, or offline: the next refresh tries again */ }
  }

  async function cancel(order) {
    if (!window.confirm(HD.t("order.cancel_confirm"))) return;
    try {
      render(await HD.api("POST", "/v1/orders/" + order.id + "/cancel", { reason: "consumer" }));
    } catch (error) {
      $("order-error").textContent = HD.errorText(error);
      if (error instanceof HD.ApiError && error.status === 409) show(order.id);
    }
  }

  /* One order, re-read every 5 s until it is delivered or cancelled. */
  async function show(orderId) {
    clearTimeout(poll);
    await HD.needSignIn();
    try {
      const order = await HD.api("GET", "/v1/orders/" + orderId);
      if (Shop.route().view !== "order" || Shop.route().id !== orderId) return;
      render(order);
      if (!FINAL.includes(order.status)) poll = setTimeout(() => show(orderId), 5000);
    } catch (error) {
      if (error instanceof HD.ApiError) { $("order").replaceChildren(el("p", { className: "hd-error", textContent: HD.errorText(error) })); return; }
      poll = setTimeout(() => show(orderId), 5000);  // offline: the banner says so; try again
    }
  }

  Shop.orders = {
    place, resume, list, show,
    stop() { clearTimeout(poll); },
    start() { $("orders-more").addEventListener("click", () => list(true)); },
  };
})();
