/* The operator console: campaign bars and pause switch, a campaign's report as SVG charts,
   promotions, the store map and the lists that need an operator. Plain JS, inline SVG. */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const NS = "http://www.w3.org/2000/svg";
  const STATE_COLOURS = { open: "#1a7f37", paused: "#b35900", disconnected: "#e4393c", stale: "#8a8f96" };
  const cities = new Map();  // id -> name, from the board and the campaigns
  let cityId = null;
  let openCampaign = null;

  function svg(tag, attrs, text) {
    const node = document.createElementNS(NS, tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function html(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function bar(kind, done, whole) {
    const outer = html("div", { class: "adm-bar " + kind, role: "progressbar",
                                "aria-valuenow": done, "aria-valuemax": whole });
    const inner = html("span");
    inner.style.width = (whole ? Math.min(100, (100 * done) / whole) : 0).toFixed(1) + "%";
    outer.appendChild(inner);
    return outer;
  }

  /* city_name null: a national campaign; absent (an older server): the name the board gave. */
  function cityOf(c) {
    if (c.city_name !== undefined) return c.city_name || HD.t("console.national");
    return cities.get(c.city_id) || HD.t("console.city_n", { id: c.city_id });
  }

  function campaignCard(c) {
    const item = html("li", { class: "adm-campaign", "data-campaign": c.id });
    if (c.city_name) cities.set(c.city_id, c.city_name);
    item.appendChild(html("h3", {}, c.name + (c.paused ? HD.t("console.paused_suffix") : "")));
    item.appendChild(html("div", { class: "adm-where" }, HD.t("console.campaign_where", {
      city: cityOf(c), issuer: c.issuer_name || HD.word("issuer", c.issuer) })));
    item.appendChild(html("div", { class: "hd-muted" }, HD.t("console.packs", { claimed: c.packs_claimed, quota: c.pack_quota })));
    item.appendChild(bar("claims", c.packs_claimed, c.pack_quota));
    item.appendChild(html("div", { class: "hd-muted" }, HD.t("console.budget", { issued: HD.yuan(c.issued_fen), budget: HD.yuan(c.budget_fen) })));
    item.appendChild(bar("budget", c.issued_fen, c.budget_fen));
    const row = html("div", { class: "adm-row" });
    const pause = html("button", { type: "button", class: "pause" }, HD.t(c.paused ? "console.resume" : "console.pause"));
    pause.addEventListener("click", async () => {
      if (!window.confirm(HD.t(c.paused ? "console.resume_confirm" : "console.pause_confirm", { name: c.name }))) return;
      pause.disabled = true;
      try { await HD.api("PATCH", `/v1/campaigns/${c.id}`, { paused: !c.paused }); }
      catch (error) { window.alert(HD.errorText(error)); }
      finally { await loadCampaigns(); }
    });
    const report = html("button", { type: "button", class: "primary open-report" }, HD.t("console.report"));
    report.addEventListener("click", () => openReport(c));
    row.append(pause, report);
    if (c.paused) row.appendChild(html("span", { class: "adm-paused" }, HD.t("console.paused")));
    item.appendChild(row);
    return item;
  }

  async function loadCampaigns() {
    const { campaigns } = await HD.api("GET", "/v1/admin/campaigns");
    const list = $("campaigns");
    list.replaceChildren(...(campaigns.length ? campaigns.map(campaignCard) : [html("li", { class: "hd-muted" }, HD.t("console.no_campaigns"))]));
    return campaigns;
  }

  function groupedBars(rows, series) {
    const width = 600, height = 260, pad = 34;
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "bars" });
    const top = Math.max(1, ...rows.flatMap((r) => series.map((s) => Math.abs(r[s.key]))));
    const slot = (width - pad) / Math.max(1, rows.length);
    const barWidth = Math.min(40, Math.max(2, (slot * 0.8) / series.length));
    rows.forEach((row, i) => {
      series.forEach((s, j) => {
        const value = Math.max(0, row[s.key]);
        const h = ((height - 2 * pad) * value) / top;
        chart.appendChild(svg("rect", { x: pad + i * slot + j * barWidth, y: height - pad - h,
                                        width: barWidth - 1, height: h, fill: s.colour }))
          .appendChild(svg("title", {}, `${row.key} ${s.label} ${row[s.key]}`));
      });
      if (rows.length <= 16 || i % Math.ceil(rows.length / 8) === 0) {
        chart.appendChild(svg("text", { x: pad + i * slot, y: height - 10, "font-size": 16 }, row.key.slice(5)));
      }
    });
    if (!rows.length) chart.appendChild(svg("text", { x: pad, y: height / 2, "font-size": 18 }, HD.t("console.no_data")));
    series.forEach((s, j) => {
      chart.appendChild(svg("rect", { x: pad + j * 180, y: 4, width: 14, height: 14, fill: s.colour }));
      chart.appendChild(svg("text", { x: pad + 20 + j * 180, y: 17, "font-size": 18 }, s.label));
    });
    return chart;
  }

  function horizontalBars(items, colour) {
    const width = 600, line = 28, height = Math.max(1, items.length) * line + 10;
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "hbars" });
    const top = Math.max(1, ...items.map((i) => i.value));
    items.forEach((item, i) => {
      const w = (300 * Math.max(0, item.value)) / top;
      chart.appendChild(svg("text", { x: 0, y: i * line + 20, "font-size": 18 }, item.label));
      chart.appendChild(svg("rect", { x: 160, y: i * line + 6, width: w, height: 18, fill: colour }));
      chart.appendChild(svg("text", { x: 166 + w, y: i * line + 20, "font-size": 16 }, item.text));
    });
    if (!items.length) chart.appendChild(svg("text", { x: 0, y: 24, "font-size": 18 }, HD.t("console.no_data")));
    return chart;
  }

  function fundingBar(totals) {
    const parts = [["government", HD.t("funder.government"), "#e4393c"], ["platform", HD.t("funder.platform"), "#2f6fde"],
                   ["merchant", HD.t("funder.merchant"), "#f0a500"]];
    const whole = parts.reduce((sum, [key]) => sum + totals[key + "_fen"], 0);
    const chart = svg("svg", { viewBox: "0 0 600 66", role: "img", class: "funding" });
    let x = 0;
    parts.forEach(([key, label, colour], i) => {
      const w = whole ? (600 * totals[key + "_fen"]) / whole : 0;
      chart.appendChild(svg("rect", { x, y: 0, width: w, height: 26, fill: colour }));
      chart.appendChild(svg("text", { x: i * 200, y: 56, "font-size": 18 }, `${label} ${HD.yuan(totals[key + "_fen"])}`));
      x += w;
    });
    return chart;
  }

  function totalsView(t) {
    const n = (count, fen) => HD.t("console.coupons_n", { n: count }) + (fen === undefined ? "" : " " + HD.yuan(fen));
    const cells = [[HD.t("console.t_packs"), t.packs_claimed], [HD.t("console.t_issued"), n(t.issued_count, t.issued_fen)],
                   [HD.t("console.t_redeemed"), n(t.net_redeemed_count, t.redeemed_fen)],
                   [HD.t("console.t_expired"), n(t.expired_count)],
                   [HD.t("console.t_rate"), t.redemption_rate === null ? "—" : (100 * t.redemption_rate).toFixed(1) + "%"],
                   [HD.t("console.t_gmv"), HD.yuan(t.gmv_fen)], [HD.t("console.t_leverage"), t.leverage === null ? "—" : t.leverage + "×"],
                   [HD.t("console.t_compensation"), HD.yuan(t.compensation_fen)]];
    return cells.map(([label, value]) => { const d = html("div", {}, label); d.appendChild(html("b", {}, String(value))); return d; });
  }

  async function openReport(c) {
    openCampaign = c;
    const base = `/v1/admin/reports/campaigns/${c.id}`;
    const [days, stores] = await Promise.all([HD.api("GET", base + "?group=day"), HD.api("GET", base + "?group=store")]);
    $("report").hidden = false;
    $("report-title").textContent = HD.t("console.report_title", { name: c.name });
    const badge = $("reconciled");
    badge.className = "adm-badge " + (days.reconciled ? "ok" : "bad");
    badge.textContent = days.reconciled ? HD.t("console.reconciled")
      : HD.t("console.not_reconciled", { checks: days.differences.map((d) => HD.word("reconcile_check", d.check)).join("、") });
    $("totals").replaceChildren(...totalsView(days.totals));
    $("chart-days").replaceChildren(groupedBars(days.rows, [
      { key: "packs_claimed", label: HD.t("console.series_claims"), colour: "#e4393c" },
      { key: "net_redeemed_count", label: HD.t("console.series_redeemed"), colour: "#2f6fde" }]));
    $("chart-funding").replaceChildren(fundingBar(days.totals));
    const top = stores.rows.slice().sort((a, b) => b.gmv_fen - a.gmv_fen).slice(0, 10)
      .map((r) => ({ label: r.store_name || r.name || HD.storeName(r.key), value: r.gmv_fen, text: HD.yuan(r.gmv_fen) }));
    $("chart-stores").replaceChildren(horizontalBars(top, "#1a7f37"));
    $("report").scrollIntoView();
  }

  async function downloadCsv() {
    const response = await fetch(`/v1/admin/reports/campaigns/${openCampaign.id}?format=csv`,
                                 { headers: { Authorization: "Bearer " + HD.token() } });
    const link = html("a", { href: URL.createObjectURL(await response.blob()), download: `campaign-${openCampaign.id}.csv` });
    link.click();
  }

  async function loadPromotions() {
    const { promotions } = await HD.api("GET", "/v1/admin/promotions");
    if (!promotions.length) { $("promotions").replaceChildren(html("tr", {}, "")); $("promotions").firstChild.appendChild(html("td", { colspan: 4, class: "hd-muted" }, HD.t("console.no_promotions"))); return; }
    $("promotions").replaceChildren(...promotions.map((p) => {
      const row = html("tr");
      const rule = HD.t(p.kind === "every_threshold" ? "console.rule_every" : "console.rule_once",
                        { threshold: HD.yuan(p.threshold_fen), discount: HD.yuan(p.discount_fen) });
      for (const text of [p.name, rule, p.city_id === null ? HD.t("console.national") : cities.get(p.city_id) || HD.t("console.city_n", { id: p.city_id }),
                          HD.t(p.paused ? "console.paused" : p.running ? "console.running" : "console.outside_hours")]) row.appendChild(html("td", {}, text));
      return row;
    }));
  }

  function storeMap(stores) {
    const width = 600, height = 400, pad = 12;
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "map" });
    chart.appendChild(svg("rect", { x: 0, y: 0, width, height, fill: "#f5f6f7" }));
    const lats = stores.map((s) => s.lat), lons = stores.map((s) => s.lon);
    const [south, north, west, east] = [Math.min(...lats), Math.max(...lats), Math.min(...lons), Math.max(...lons)];
    const scale = Math.min((width - 2 * pad) / Math.max(1e-6, east - west), (height - 2 * pad) / Math.max(1e-6, north - south));
    for (const s of stores) {
      const dot = svg("circle", { cx: pad + (s.lon - west) * scale, cy: height - pad - (s.lat - south) * scale,
                                  r: 4, fill: STATE_COLOURS[s.state] || "#000", "data-state": s.state });
      dot.appendChild(svg("title", {}, `${s.name}（${HD.word("store_state", s.state)}）`));
      chart.appendChild(dot);
    }
    return chart;
  }

  function fillList(id, items, describe) {
    $(id).replaceChildren(...(items.length ? items.map((i) => html("li", {}, describe(i)))
                                           : [html("li", { class: "hd-muted adm-empty" }, HD.t("console.empty_" + id))]));
  }
  HD.fillList = fillList;

  async function loadBoard() {
    if (cityId === null) return;
    const board = await HD.api("GET", `/v1/admin/cities/${cityId}/board`);
    $("city-name").textContent = board.city.name;
    cities.set(board.city.id, board.city.name);
    for (const s of board.stores) HD.storeNames.set(s.id, s.name);
    $("map").replaceChildren(storeMap(board.stores));
    const counts = {};
    for (const s of board.stores) counts[s.state] = (counts[s.state] || 0) + 1;
    $("map-legend").replaceChildren(...Object.keys(STATE_COLOURS).map((state) => {
      const span = html("span"); const dot = html("i"); dot.style.background = STATE_COLOURS[state];
      span.append(dot, `${HD.word("store_state", state)} ${counts[state] || 0}`); return span;
    }));
    fillList("late", board.late_orders, (o) => HD.t("console.late_order", { id: o.order_id, store: o.store_name || HD.storeName(o.store_id),
      status: HD.word("order_status", o.status), minutes: o.late_minutes }));
    fillList("failed", board.failed_deliveries, (d) => HD.t("console.failed_delivery", { id: d.order_id, delivery: d.delivery_id }));
    fillList("timeouts", board.timeout_stores, (s) => HD.t("console.timeouts", { store: s.name, n: s.timeouts }));
  }

  const CHECKS = { ledger: "订单账目", stock: "库存占用", slots: "门店在途单数", campaign: "活动计数",
                   coupon: "券状态", history: "订单历程" };
  const SUBJECTS = { order: "订单", stock_row: "库存行", store: "门店", campaign: "活动", coupon: "券" };

  async function loadInvariants() {
    const run = await HD.api("GET", "/v1/admin/invariants");
    $("checked-at").textContent = run.checked_at === null ? "（尚未运行）"
      : `（${HD.dateTime(run.checked_at)}：${run.violations} 处不符）`;
    $("invariants").replaceChildren(...(run.differences.length
      ? run.differences.map((d) => html("li", {},
          `${CHECKS[d.check] || "核对"}：${SUBJECTS[d.subject] || ""} ${d.subject_id} 应为 ${d.expected}，实为 ${d.actual}`))
      : [html("li", { class: "hd-muted" }, run.checked_at === null ? "每日核对后在此显示" : "全部一致")]));
  }

  HD.storeNames = new Map();
  HD.storeName = (id) => HD.storeNames.get(Number(id)) || HD.t("console.store_n", { id });

  HD.signIn("operator", async (me) => {
    await HD.ops.loadSync();  // first: it names every synced store
    const campaigns = await loadCampaigns();
    cityId = me.city_id || (campaigns[0] && campaigns[0].city_id) || null;
    $("csv").addEventListener("click", downloadCsv);
    await loadBoard();
    await Promise.all([loadPromotions(), loadInvariants(), HD.ops.start()]);
    setInterval(() => loadCampaigns().catch(() => {}), 5000);
  });
})();
