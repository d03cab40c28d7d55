/* The store tablet: the live queue from the feed (long-poll from a cursor kept in this browser),
   a beep and a flash for new orders, accept / reject / ready / short-pick, the busy switch. */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const OPEN = ["PLACED", "ACCEPTED", "READY"];
  const orders = new Map();
  let storeId = null;
  const cursorKey = () => "hd.store.cursor." + storeId;

  function beep() {  // WebAudio: no sound file to download
    try {
      const ctx = new (window.AudioContext || window.webkitAudioContext)();
      const tone = ctx.createOscillator(), gain = ctx.createGain();
      tone.frequency.value = 880; gain.gain.value = 0.2;
      tone.connect(gain); gain.connect(ctx.destination);
      tone.start(); tone.stop(ctx.currentTime + 0.4);
    } catch (e) { /* no audio device: the flash still shows */ }
  }

  function flash() {
    const box = $("st-flash");
    document.body.dataset.announced = Number(document.body.dataset.announced || 0) + 1;
    box.hidden = false;
    clearTimeout(flash.timer);
    flash.timer = setTimeout(() => { box.hidden = true; }, 3000);
    beep();
  }

  function render() {
    const queue = $("st-queue");
    queue.textContent = "";
    const open = [...orders.values()].filter((o) => OPEN.includes(o.status)).sort((a, b) => a.id - b.id);
    $("st-empty").hidden = open.length > 0;
    for (const order of open) queue.appendChild(card(order));
  }

  function card(order) {
    const node = $("st-order").content.firstElementChild.cloneNode(true);
    node.dataset.orderId = order.id;
    node.classList.toggle("is-new", order.status === "PLACED");
    node.querySelector(".st-id").textContent = "#" + order.order_number;  // what the courier says
    node.querySelector(".st-status").textContent = HD.word("tablet_status", order.status);
    node.querySelector(".st-total").textContent = order.refund_fen
      ? HD.t("tablet.net", { net: HD.yuan(order.net_fen), paid: HD.yuan(order.payable_fen), refund: HD.yuan(order.refund_fen) })
      : HD.yuan(order.payable_fen);
    node.querySelector(".st-by").textContent = order.accept_by && order.status === "PLACED"
      ? HD.t("tablet.accept_by", { time: HD.time(order.accept_by) }) : "";
    node.querySelector(".st-address").textContent = order.address;
    const body = node.querySelector("tbody");
    for (const line of order.lines) body.appendChild(lineRow(order, line));
    const act = (path, payload) => action(node, order, path, payload);
    node.querySelector(".st-accept").hidden = order.status !== "PLACED";
    node.querySelector(".st-reject").hidden = order.status !== "PLACED";
    node.querySelector(".st-reason").hidden = order.status !== "PLACED";
    node.querySelector(".st-ready").hidden = order.status !== "ACCEPTED";
    node.querySelector(".st-accept").addEventListener("click", () => act("accept"));
    node.querySelector(".st-ready").addEventListener("click", () => act("ready"));
    node.querySelector(".st-reject").addEventListener("click",
      () => act("reject", { reason: node.querySelector(".st-reason").value }));
    return node;
  }

  function lineRow(order, line) {
    const row = document.createElement("tr");
    const held = line.picked_qty === null ? line.qty : line.picked_qty;
    row.classList.toggle("is-short", held < line.qty);
    for (const text of [line.name, held < line.qty ? held + "/" + line.qty : line.qty,
                        HD.yuan(line.unit_price_fen), line.on_hand]) {
      const cell = document.createElement("td"); cell.textContent = text; row.appendChild(cell);
    }
    const cell = document.createElement("td");
    if (order.status === "ACCEPTED" && held > 0) {
      const button = document.createElement("button");
      button.type = "button"; button.className = "st-short"; button.textContent = HD.t("tablet.short_one");
      button.addEventListener("click", () => action(row.closest("article"), order, "short-pick",
                                                    { line_id: line.id, picked_qty: held - 1 }));
      cell.appendChild(button);
    }
    row.appendChild(cell);
    return row;
  }

  async function action(node, order, path, payload) {
    const error = node.querySelector(".st-error");
    error.hidden = true;
    try {
      const result = await HD.api("POST", "/v1/store/orders/" + order.id + "/" + path, payload || {});
      if (path === "reject") orders.delete(order.id); else orders.set(result.id, result);
      render();
    } catch (failure) {
      error.textContent = HD.errorText(failure);
      error.hidden = false;
      if (failure instanceof HD.ApiError && failure.status === 409) refresh(order.id);
    }
  }

  async function refresh(orderId) {
    try {
      orders.set(orderId, await HD.api("GET", "/v1/store/orders/" + orderId));
    } catch (failure) {
      if (failure instanceof HD.ApiError && failure.status === 404) orders.delete(orderId);
      else throw failure;
    }
  }

  async function loadQueue() {
    const queue = await HD.api("GET", "/v1/store/orders");
    orders.clear();
    for (const order of queue.orders) orders.set(order.id, order);
    render();
  }

  /* Apply a page of feed events: re-read each order they touch, announce new ones. */
  async function apply(events) {
    let fresh = false;
    const touched = new Set();
    for (const event of events) {
      if (event.kind === "reassigned_away") { orders.delete(event.order_id); touched.delete(event.order_id); continue; }
      if (event.kind === "placed" || event.kind === "reassigned") fresh = fresh || !orders.has(event.order_id);
      touched.add(event.order_id);
    }
    for (const orderId of touched) await refresh(orderId);
    render();
    if (fresh) flash();
  }

  /* The feed loop: long-poll from the stored cursor; offline, retry with back-off and resume. */
  async function follow() {
    let delay = 1000;
    for (;;) {
      try {
        let cursor = localStorage.getItem(cursorKey());
        if (!cursor) {
          cursor = (await HD.api("GET", "/v1/store/feed")).cursor;
          localStorage.setItem(cursorKey(), cursor);
          await loadQueue();
        }
        const page = await HD.api("GET", "/v1/store/feed?wait=20&after=" + encodeURIComponent(cursor));
        await apply(page.events);
        localStorage.setItem(cursorKey(), page.cursor);  // only once the events are shown
        delay = 1000;
      } catch (failure) {
        if (failure instanceof HD.ApiError && failure.code === "invalid_cursor") {
          localStorage.removeItem(cursorKey());  // start over from the queue
        } else if (failure instanceof HD.ApiError && failure.status === 503) {
          // A full server says when to come back (Retry-After, also in the body): no spinning.
          const after = Number(failure.body && failure.body.error.retry_after_s) || 10;
          await new Promise((done) => setTimeout(done, after * 1000));
        } else {
          if (!(failure instanceof HD.ApiError)) HD.connection(false);
          // Jittered: the tablets of a restarted host must not all come back in one instant.
          await new Promise((done) => setTimeout(done, delay * (0.5 + Math.random())));
          delay = Math.min(delay * 2, 10000);
        }
      }
    }
  }

  async function showState() {
    const state = await HD.api("GET", "/v1/store/state");
    $("st-busy").checked = state.paused;
    $("st-flag").hidden = !state.flagged_reason;
    $("st-flag").textContent = state.flagged_reason ? HD.t("tablet.flagged") : "";
  }

  HD.signIn("store", async (me) => {
    storeId = me.principal_id;
    $("st-busy").addEventListener("change", async (event) => {
      try { await HD.api("POST", "/v1/store/busy", { busy: event.target.checked }); await showState(); }
      catch (failure) { event.target.checked = !event.target.checked; }
    });
    await showState();
    await loadQueue();
    follow();
  });
})();
