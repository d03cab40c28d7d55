/* The shop's payment step: the order waits for payment until pay_by; the consumer goes to the
   provider's cashier (the sandbox's in demo mode) and may pay again while the payment runs.
   Also the money line of an order: paid, refunded, refund pending. Words from the catalogue. */
(function () {
  "use strict";
  const LAST = "hd.shop.lastOrder";
  const el = (tag, props, ...children) => {
    const node = Object.assign(document.createElement(tag), props || {});
    node.append(...children);
    return node;
  };
  const pad = (n) => String(n).padStart(2, "0");
  let ticking = null;

  function cashierUrl(payment) {
    const back = location.pathname + location.search + location.hash; // back to this very view
    return payment.pay_url + (payment.pay_url.includes("?") ? "&" : "?") + "back=" + encodeURIComponent(back);
  }

  /* pay_by on this device's clock: the service keeps business time (a demo's may run fast or
     stand still), so the time left is read from the order (placed_at holds its creation until
     it is paid) and counted down from when this device first saw it. */
  function deadline(order) {
    const key = "hd.pay." + order.id;
    let seen = JSON.parse(localStorage.getItem(key) || "null");
    if (!seen) {
      seen = { at: Date.now(), left: Date.parse(order.payment.pay_by) - Date.parse(order.placed_at) };
      localStorage.setItem(key, JSON.stringify(seen));
    }
    return seen.at + seen.left;
  }

  /* The countdown to pay_by and the buttons, for an order AWAITING_PAYMENT. */
  function payStep(order) {
    const payment = order.payment;
    const left = el("span", { id: "pay-left" });
    const message = el("p", { id: "pay-msg", className: "hd-error", role: "alert" });
    const go = el("a", { id: "pay-go", className: "button primary", textContent: HD.t("pay.go", { amount: HD.yuan(payment.amount_fen) }) });
    if (payment.pay_url) go.href = cashierUrl(payment);
    const again = el("button", { id: "pay-again", type: "button", textContent: HD.t("pay.again") });
    again.addEventListener("click", async () => {
      try {
        const fresh = await HD.api("POST", "/v1/orders/" + order.id + "/pay");
        location.href = cashierUrl(fresh);
      } catch (error) { message.textContent = HD.errorText(error); }
    });
    const payBy = deadline(order);
    clearInterval(ticking);
    const tick = () => {
      const s = Math.max(0, Math.round((payBy - Date.now()) / 1000));
      left.textContent = HD.t("pay.left", { time: pad(Math.floor(s / 60)) + ":" + pad(s % 60) });
      if (!s) { clearInterval(ticking); go.remove(); again.remove(); left.textContent = HD.t("pay.expired"); }
    };
    tick();
    ticking = setInterval(tick, 1000);
    return el("div", { id: "pay-step", className: "pay-step" }, el("p", { className: "name", textContent: HD.t("pay.waiting") }),
      left, el("div", { className: "row" }, go, again), message);
  }

  /* Paid, refunded and still-pending amounts, as "my orders" shows them. */
  function moneyLine(order) {
    const parts = [];
    if (order.paid_fen) parts.push(HD.t("pay.paid", { amount: HD.yuan(order.paid_fen) }));
    if (order.refunded_fen) parts.push(HD.t("pay.refunded", { amount: HD.yuan(order.refunded_fen) }));
    if (order.refund_pending_fen) parts.push(HD.t("pay.refund_pending", { amount: HD.yuan(order.refund_pending_fen) }));
    if (!order.paid_fen && order.status === "AWAITING_PAYMENT") parts.push(HD.t("pay.unpaid", { amount: HD.yuan(order.payable_fen) }));
    if (!order.paid_fen && order.status === "CANCELLED") parts.push(HD.t("pay.nothing_charged"));
    return el("p", { id: "order-money", className: "hd-muted", textContent: parts.join(" · ") });
  }

  /* What to add to the order card. */
  function section(order) {
    localStorage.setItem(LAST, String(order.id));
    clearInterval(ticking);
    const nodes = [moneyLine(order)];
    if (order.status === "AWAITING_PAYMENT" && order.payment && order.payment.status === "OPEN") nodes.unshift(payStep(order));
    return nodes;
  }

  /* Back from the cashier (or a reload): show the order the consumer was paying for. */
  async function resume(show) {
    const wanted = new URLSearchParams(location.search).get("order") || localStorage.getItem(LAST);
    if (!wanted) return;
    try { show(await HD.api("GET", "/v1/orders/" + encodeURIComponent(wanted))); } catch (error) { /* gone, or offline */ }
  }

  /* Only the payment step (the shop's order card has its own money line). */
  function step(order) {
    clearInterval(ticking);
    const open = order.status === "AWAITING_PAYMENT" && order.payment && order.payment.status === "OPEN";
    return open ? payStep(order) : null;
  }

  window.HDPay = { section, resume, step };
})();
