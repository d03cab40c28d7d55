/* The consumer shop: location -> search / store menu -> coupons -> cart with live quote -> order. */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    Object.assign(node, attrs || {});
    for (const child of children) node.append(child);
    return node;
  };
  const state = { at: null, cart: [], storeId: null, couponId: null, key: null, cursor: null,
                  quote: null, placing: false };
  const REASONS = { paused: "暂停营业", closed: "已打烊", out_of_radius: "不在配送范围",
    below_min_basket: "未达起送价", at_capacity: "订单已满", not_in_campaign: "不参加该券活动",
    too_late: "一小时内送不到", out_of_stock: "缺货", stale_stock: "库存未同步", disconnected: "门店离线" };
  const SENTENCES = {
    sold_out: "这一批券已经抢完了，等下一批吧。", already_claimed: "这一批你已经领过了。",
    budget_exhausted: "活动预算已用完。", window_closed: "这一批的领取时间已过。",
    not_started: "这一批还没开始，请留意倒计时。", outside_city: "你所在的位置不在该活动城市。",
    outside_service_area: "这个位置暂不在服务范围内，换个地点试试。",
    price_changed: "价格刚刚变了，已为你更新报价，请确认后再下单。",
    coupon_not_applicable: "这张券用不了（门槛、门店或支付方式不符），已改为不用券。",
    query_required: "请输入要搜索的商品，或选择一个分类。", invalid_cursor: "搜索条件变了，请重新搜索。",
  };

  /* An API failure as a sentence a shopper can act on (never a bare code). */
  function sentence(error) {
    if (!(error instanceof HD.ApiError)) return "网络好像断了，正在重试…请稍后再点一次。";
    if (error.code === "no_store_available") {
      const reasons = (error.body && error.body.error && error.body.error.details &&
                       error.body.error.details.reasons) || {};
      const store = state.store;
      if (state.storeId && store && store.id === state.storeId && reasons.closed) {
        return store.name + " 现在不营业" + (store.next_opening ? "，" + hm(store.next_opening) + " 开门" : "") + "。";
      }
      const parts = Object.entries(reasons).map(([k, n]) => n + " 家" + (REASONS[k] || k));
      return "附近没有门店能在一小时内送达这些商品" + (parts.length ? "（" + parts.join("，") + "）" : "") + "。";
    }
    return SENTENCES[error.code] || error.message || "出错了，请稍后再试。";
  }
  const hm = (iso) => iso.slice(11, 16); // city-local ISO time -> "22:00"
  const at = () => "lat=" + state.at.lat + "&lon=" + state.at.lon;
  const newKey = () => (crypto.randomUUID ? crypto.randomUUID() :
                        Date.now() + "-" + Math.random().toString(16).slice(2));

  function setLocation(lat, lon, label) {
    state.at = { lat: Number(lat), lon: Number(lon) };
    localStorage.setItem("hd.shop.at", JSON.stringify({ ...state.at, label }));
    $("where-now").textContent = "送至：" + (label || lat + ", " + lon);
    for (const id of ["find", "coupons"]) $(id).hidden = false;
    loadCoupons();
    if (state.cart.length) refreshQuote();
  }

  async function search(more) {
    const q = $("q").value.trim(), category = $("category").value;
    let path = "/v1/products/search?" + at() + "&q=" + encodeURIComponent(q) +
               "&category=" + encodeURIComponent(category);
    if (more && state.cursor) path += "&cursor=" + encodeURIComponent(state.cursor);
    if (!more) $("results").replaceChildren();
    $("store").hidden = true;
    try {
      const found = await HD.api("GET", path);
      state.cursor = found.next_cursor;
      $("more").hidden = !found.next_cursor;
      for (const hit of found.results) $("results").append(resultItem(hit));
      $("find-msg").textContent = $("results").children.length ? "" : "附近一小时内送不到这样的商品。";
    } catch (error) { $("find-msg").textContent = sentence(error); }
  }

  function resultItem(hit) {
    const p = hit.product, s = hit.store;
    const storeLink = el("button", { type: "button", className: "link", textContent: s.name,
                                     onclick: () => openStore(s.id) });
    const spread = hit.other_stores ? "另有 " + hit.other_stores + " 家有货，最低 " + HD.yuan(hit.lowest_price_fen) : "";
    const minimum = s.min_basket_fen ? " · 起送 " + HD.yuan(s.min_basket_fen) : "";
    return el("li", { className: "hit" },
      el("div", { className: "grow" },
        el("div", { className: "name", textContent: p.name }),
        el("div", { className: "hd-muted", textContent: [p.brand, p.spec].filter(Boolean).join(" · ") }),
        el("div", { className: "hd-muted" }, storeLink, " · 约 " + s.eta_minutes + " 分钟送达 · " + s.distance_km + " km" + minimum),
        el("div", { className: "hd-muted", textContent: spread })),
      el("div", {}, el("div", { className: "price", textContent: HD.yuan(hit.price_fen) }),
        el("span", { className: "tag " + hit.availability, textContent: hit.availability === "low" ? "库存紧张" : "有货" }),
        el("button", { type: "button", className: "add", textContent: "加入购物车",
                       onclick: () => addToCart(p.sku, p.name, hit.price_fen, null) })));
  }

  async function openStore(storeId) {
    try {
      const [store, menu] = await Promise.all([HD.api("GET", "/v1/stores/" + storeId),
                                               HD.api("GET", "/v1/stores/" + storeId + "/products")]);
      const hours = store.opening_hours["24h"] ? "24 小时营业" : Object.entries(store.opening_hours)
        .map(([d, spans]) => d + " " + spans.map((s) => s.join("-")).join(",")).join("；");
      const status = store.open_now ? "营业中" : "已打烊" + (store.next_opening ? "，" + hm(store.next_opening) + " 开门" : "");
      state.store = store;
      const box = $("store");
      box.replaceChildren(
        el("h2", { textContent: store.name }),
        el("p", { className: "hd-muted", textContent: status + " · " + hours }),
        el("p", { className: "hd-muted", textContent: "配送半径 " + store.delivery_radius_km + " km · 备货 " +
          store.prep_minutes + " 分钟 · 起送 " + HD.yuan(store.min_basket_fen) + " · 配送费 " +
          HD.yuan(store.delivery_fee_fen) + "（满 " + HD.yuan(store.free_delivery_from_fen) + " 免）" }),
        el("p", { className: "hd-muted", textContent: store.campaigns.length ? "可用活动：" + store.campaigns.map((c) => c.name).join("、") : "" }),
        el("ul", { className: "list" }, ...menu.items.map((item) => el("li", {},
          el("div", { className: "grow" }, el("div", { className: "name", textContent: item.name }),
            el("span", { className: "tag " + item.availability,
                         textContent: { in: "有货", low: "库存紧张", out: "售罄" }[item.availability] })),
          el("span", { className: "price", textContent: HD.yuan(item.price_fen) }),
          el("button", { type: "button", textContent: "加入", disabled: item.availability === "out",
                         onclick: () => addToCart(item.sku, item.name, item.price_fen, store.id) })))),
        el("button", { type: "button", textContent: "返回搜索结果", onclick: () => { box.hidden = true; } }));
      box.hidden = false;
      box.scrollIntoView();
    } catch (error) { $("find-msg").textContent = sentence(error); }
  }

  function addToCart(sku, name, priceFen, storeId) {
    if (storeId && state.storeId && storeId !== state.storeId) state.cart = [];
    state.storeId = storeId || (state.cart.length ? state.storeId : null);
    const line = state.cart.find((l) => l.sku === sku);
    if (line) line.qty += 1; else state.cart.push({ sku, name, qty: 1, priceFen });
    cartChanged();
  }

  function cartChanged() {
    state.key = null; // another basket: the next tap is another order
    $("cart").hidden = state.cart.length === 0;
    $("lines").replaceChildren(...state.cart.map((line) => el("li", {},
      el("div", { className: "grow name", textContent: line.name }),
      el("div", { className: "qty" },
        el("button", { type: "button", textContent: "−", onclick: () => bump(line, -1) }),
        el("span", { textContent: String(line.qty) }),
        el("button", { type: "button", textContent: "+", onclick: () => bump(line, 1) })))));
    refreshQuote();
  }

  function bump(line, by) {
    line.qty += by;
    state.cart = state.cart.filter((l) => l.qty > 0);
    if (!state.cart.length) state.storeId = null;
    cartChanged();
  }

  function basket() {
    const body = { items: state.cart.map((l) => ({ sku: l.sku, qty: l.qty })), payment_method: "wechat",
                   lat: state.at.lat, lon: state.at.lon };
    if (state.storeId) body.store_id = state.storeId;
    if (state.couponId) body.coupon_id = state.couponId;
    return body;
  }

  async function refreshQuote() {
    if (!state.cart.length || !state.at) return;
    try {
      const quote = await HD.api("POST", "/v1/quote", basket());
      if (!state.couponId && !state.noCoupon && quote.suggested_coupon) {
        state.couponId = quote.suggested_coupon.coupon_id; // the best coupon, applied for you
        return refreshQuote();
      }
      state.quote = quote;
      renderQuote(quote);
      $("order-msg").textContent = "";
    } catch (error) {
      if (error.code === "coupon_not_applicable" || (error.status === 404 && error.field === "coupon_id")) {
        state.couponId = null; return refreshQuote();
      }
      state.quote = null;
      $("quote").replaceChildren(el("p", { className: "hd-error", textContent: sentence(error) }));
    }
  }

  function renderQuote(quote) {
    const rows = [["商品小计", HD.yuan(quote.subtotal_fen)]];
    if (quote.promotion) rows.push([quote.promotion.name, "−" + HD.yuan(quote.promotion.discount_fen)]);
    if (quote.coupon) rows.push(["消费券", "−" + HD.yuan(quote.coupon.discount_fen)]);
    rows.push(["配送费", quote.delivery_fee_fen ? HD.yuan(quote.delivery_fee_fen) : "免配送费"]);
    $("quote").replaceChildren(
      el("p", { className: "hd-muted", textContent: "由 " + quote.store.name + " 配送" }),
      el("table", { className: "totals" }, ...rows.map(([k, v]) => el("tr", {}, el("td", { textContent: k }), el("td", { textContent: v }))),
        el("tr", { className: "payable" }, el("td", { textContent: "实付" }), el("td", { id: "payable", textContent: HD.yuan(quote.payable_fen) }))));
    const chosen = state.couponId || (quote.suggested_coupon && quote.suggested_coupon.coupon_id);
    $("coupon-options").replaceChildren(...quote.coupons.map((c) => el("li", {},
      el("label", { className: "grow" }, el("input", { type: "radio", name: "coupon", checked: c.coupon_id === state.couponId,
        onchange: () => { state.couponId = c.coupon_id; state.noCoupon = false; state.key = null; refreshQuote(); } }),
        " 满" + c.threshold_fen / 100 + "减" + c.discount_fen / 100 + "  ",
        el("span", { className: c.saves_fen ? "hd-ok" : "hd-muted",
                     textContent: c.saves_fen ? "省 " + HD.yuan(c.saves_fen) : "还差 " + HD.yuan(c.add_fen) }),
        c.coupon_id === chosen && c.saves_fen ? el("span", { className: "tag", textContent: " 最省" }) : ""))),
      ...(quote.coupons.length ? [el("li", {}, el("label", { className: "grow" }, el("input", {
        type: "radio", name: "coupon", checked: !state.couponId,
        onchange: () => { state.couponId = null; state.noCoupon = true; state.key = null; refreshQuote(); } }),
        " 不用券"))] : []));
    const hint = quote.next_threshold;
    $("hint").textContent = hint ? "再买 " + HD.yuan(hint.add_fen) + "，可用券再省 " + HD.yuan(hint.saves_fen) : "";
  }

  async function placeOrder() {
    if (state.placing || !state.quote) return; // a second tap while the first is in flight: nothing
    state.placing = true;
    $("place-order").disabled = true;
    state.key = state.key || newKey(); // kept across retries of this basket: a repeat replays
    const body = { ...basket(), address: $("address").value.trim() || "收货地址未填",
                   expected_payable_fen: state.quote.payable_fen };
    try {
      const placed = await HD.api("POST", "/v1/orders", body, { "Idempotency-Key": state.key });
      state.cart = []; state.couponId = null; state.storeId = null; state.key = null;
      $("cart").hidden = true;
      showOrder(placed.order);
      loadCoupons();
    } catch (error) {
      $("order-msg").textContent = sentence(error);
      if (error.code === "price_changed") { state.key = null; refreshQuote(); }
    } finally {
      state.placing = false;
      $("place-order").disabled = false;
    }
  }

  const STATUS = { PLACED: "已下单，等待门店接单", ACCEPTED: "门店已接单，正在备货", READY: "已打包，等待骑手",
                   PICKED_UP: "骑手已取货，正在配送", DELIVERED: "已送达", CANCELLED: "已取消" };

  function showOrder(order) {
    const box = $("order");
    box.hidden = false;
    box.replaceChildren(
      el("h2", { textContent: "订单 #" + order.id }),
      el("p", { id: "order-status", className: "name", textContent: STATUS[order.status] || order.status }),
      el("p", { textContent: order.store.name + " · 预计 " + hm(order.eta_at) + " 送达（承诺 " + hm(order.promised_at) + " 前）" }),
      el("p", { className: "hd-muted" }, "收货码 ", el("span", { className: "code", textContent: order.handoff_code })),
      el("p", { textContent: "实付 " + HD.yuan(order.payable_fen) + (order.coupon_fen ? "（券抵 " + HD.yuan(order.coupon_fen) + "）" : "") }),
      el("ol", { className: "timeline", id: "timeline" }, ...order.events.map((e) =>
        el("li", { textContent: hm(e.at) + " " + (STATUS[e.to_status] || e.kind) }))));
    showTrackingLink(order);
    box.scrollIntoView();
    clearTimeout(state.poll);
    if (!["DELIVERED", "CANCELLED"].includes(order.status)) {
      state.poll = setTimeout(async () => {
        try { showOrder(await HD.api("GET", "/v1/orders/" + order.id)); } catch (error) { /* banner shows */ }
      }, 10000);
    }
  }

  /* Once the store accepted, the order has a delivery and its tracking page (courier on a map). */
  async function showTrackingLink(order) {
    if (order.status === "PLACED" || order.status === "CANCELLED") return;
    try {
      const tracking = await HD.api("GET", "/v1/orders/" + order.id + "/tracking");
      if (!tracking.share_token || $("track-link")) return;
      $("order").appendChild(el("p", {}, el("a", { id: "track-link", href: "/track/" + tracking.share_token,
                                                  textContent: "实时跟踪配送 →" })));
    } catch (error) { /* no delivery yet, or offline: the next refresh tries again */ }
  }

  async function loadCoupons() {
    try {
      const [open, upcoming] = await Promise.all([HD.api("GET", "/v1/campaigns/open?" + at()),
                                                  HD.api("GET", "/v1/campaigns/upcoming?" + at())]);
      $("campaigns").replaceChildren(...open.campaigns.map((c) => el("li", {},
        el("div", { className: "grow" }, el("div", { className: "name", textContent: c.name }),
          el("div", { className: "hd-muted", textContent: c.issuer_name + " · 券包价值 " + HD.yuan(c.pack_value_fen) +
            " · " + c.pack.map((t) => "满" + t.threshold_fen / 100 + "减" + t.discount_fen / 100).join("、") })),
        el("button", { type: "button", className: "claim primary", textContent: c.claimed ? "已领取" : "领取",
                       disabled: c.claimed, onclick: () => claim(c.id) }))));
      if (!open.campaigns.length) $("campaigns").append(el("li", { className: "hd-muted", textContent: "此刻没有可领的券。" }));
      startCountdown(upcoming.upcoming[0]);
    } catch (error) { $("coupon-msg").textContent = sentence(error); }
  }

  function startCountdown(next) {
    clearInterval(state.tick);
    const box = $("countdown");
    box.hidden = !next;
    if (!next) return;
    const opens = Date.parse(next.opens_at);
    const tick = () => {
      const left = Math.max(0, Math.round((opens - Date.now()) / 1000));
      const pad = (n) => String(n).padStart(2, "0");
      box.textContent = next.name + " 下一批 " + hm(next.opens_at) + " 开抢，还有 " +
        pad(Math.floor(left / 3600)) + ":" + pad(Math.floor(left / 60) % 60) + ":" + pad(left % 60);
      if (!left) { clearInterval(state.tick); loadCoupons(); }
    };
    tick();
    state.tick = setInterval(tick, 1000);
  }

  async function claim(campaignId) {
    try {
      const claimed = await HD.api("POST", "/v1/campaigns/" + campaignId + "/claim", state.at);
      $("coupon-msg").className = "hd-ok";
      $("coupon-msg").textContent = "领到 " + claimed.coupons.length + " 张券，下单时自动推荐最省的一张。";
      loadCoupons();
      refreshQuote();
    } catch (error) {
      $("coupon-msg").className = "hd-error";
      $("coupon-msg").textContent = sentence(error);
    }
  }

  function start() {
    if (state.started) return; // signing in again must not add a second set of listeners
    state.started = true;
    $("place").addEventListener("change", (e) => {
      if (!e.target.value) return;
      const [lat, lon] = e.target.value.split(",");
      setLocation(lat, lon, e.target.selectedOptions[0].textContent);
    });
    $("coords").addEventListener("submit", (e) => {
      e.preventDefault();
      const lat = parseFloat($("lat").value), lon = parseFloat($("lon").value);
      if (Number.isNaN(lat) || Number.isNaN(lon)) { $("where-now").textContent = "请输入数字形式的纬度和经度。"; return; }
      setLocation(lat, lon);
    });
    $("search").addEventListener("submit", (e) => { e.preventDefault(); search(false); });
    $("more").addEventListener("click", () => search(true));
    $("place-order").addEventListener("click", placeOrder);
    const saved = JSON.parse(localStorage.getItem("hd.shop.at") || "null");
    if (saved) setLocation(saved.lat, saved.lon, saved.label);
  }

  async function demoAccounts() {
    if (!window.HD_SHOP.demo) return [];
    try {
      const listed = await HD.api("GET", "/v1/demo/consumers");
      return listed.consumers.map((c) => ({ label: "演示用户 " + c.name, fetch: async () =>
        (await HD.api("POST", "/v1/demo/consumers/" + c.id + "/token")).token }));
    } catch (error) { return []; }
  }

  demoAccounts().then((demo) => HD.signIn("consumer", start, { demo }));
})();
