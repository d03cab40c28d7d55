/* The operator console: campaign bars and pause switch, a campaign's report as SVG charts,
   promotions, the store map and the lists that need an operator. Plain JS, inline SVG. */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const NS = "http://www.w3.org/2000/svg";
  const STATE_COLOURS = { open: "#1a7f37", paused: "#b35900", disconnected: "#e4393c", stale: "#8a8f96" };
  const STATE_NAMES = { open: "营业", paused: "暂停", disconnected: "失联", stale: "库存过期" };
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

  function campaignCard(c) {
    const item = html("li", { class: "adm-campaign", "data-campaign": c.id });
    item.appendChild(html("h3", {}, c.name + (c.paused ? "（已暂停）" : "")));
    item.appendChild(html("div", { class: "hd-muted" }, `领取 ${c.packs_claimed} / ${c.pack_quota} 包`));
    item.appendChild(bar("claims", c.packs_claimed, c.pack_quota));
    item.appendChild(html("div", { class: "hd-muted" }, `预算 ${HD.yuan(c.issued_fen)} / ${HD.yuan(c.budget_fen)}`));
    item.appendChild(bar("budget", c.issued_fen, c.budget_fen));
    const row = html("div", { class: "adm-row" });
    const pause = html("button", { type: "button", class: "pause" }, c.paused ? "恢复 Resume" : "暂停 Pause");
    pause.addEventListener("click", async () => {
      pause.disabled = true;
      try { await HD.api("PATCH", `/v1/campaigns/${c.id}`, { paused: !c.paused }); }
      finally { await loadCampaigns(); }
    });
    const report = html("button", { type: "button", class: "primary open-report" }, "报告 Report");
    report.addEventListener("click", () => openReport(c));
    row.append(pause, report);
    if (c.paused) row.appendChild(html("span", { class: "adm-paused" }, "已暂停"));
    item.appendChild(row);
    return item;
  }

  async function loadCampaigns() {
    const { campaigns } = await HD.api("GET", "/v1/admin/campaigns");
    const list = $("campaigns");
    list.replaceChildren(...campaigns.map(campaignCard));
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
    if (!rows.length) chart.appendChild(svg("text", { x: pad, y: height / 2, "font-size": 18 }, "暂无数据"));
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
    if (!items.length) chart.appendChild(svg("text", { x: 0, y: 24, "font-size": 18 }, "暂无数据"));
    return chart;
  }

  function fundingBar(totals) {
    const parts = [["government", "政府", "#e4393c"], ["platform", "平台", "#2f6fde"], ["merchant", "商户", "#f0a500"]];
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
    const cells = [["领取包数", t.packs_claimed], ["发券", `${t.issued_count} 张 ${HD.yuan(t.issued_fen)}`],
                   ["核销", `${t.net_redeemed_count} 张 ${HD.yuan(t.redeemed_fen)}`],
                   ["过期", `${t.expired_count} 张`], ["核销率", t.redemption_rate === null ? "—" : (100 * t.redemption_rate).toFixed(1) + "%"],
                   ["带动 GMV", HD.yuan(t.gmv_fen)], ["杠杆", t.leverage === null ? "—" : t.leverage + "×"],
                   ["补偿", HD.yuan(t.compensation_fen)]];
    return cells.map(([label, value]) => { const d = html("div", {}, label); d.appendChild(html("b", {}, String(value))); return d; });
  }

  async function openReport(c) {
    openCampaign = c;
    const base = `/v1/admin/reports/campaigns/${c.id}`;
    const [days, stores] = await Promise.all([HD.api("GET", base + "?group=day"), HD.api("GET", base + "?group=store")]);
    $("report").hidden = false;
    $("report-title").textContent = "活动报告 · " + c.name;
    const badge = $("reconciled");
    badge.className = "adm-badge " + (days.reconciled ? "ok" : "bad");
    badge.textContent = days.reconciled ? "✓ 已对账：活动计数、券记录与流水一致"
      : "✗ 对账不一致：" + days.differences.map((d) => d.check).join("、");
    $("totals").replaceChildren(...totalsView(days.totals));
    $("chart-days").replaceChildren(groupedBars(days.rows, [
      { key: "packs_claimed", label: "领取（包）", colour: "#e4393c" },
      { key: "net_redeemed_count", label: "核销（张）", colour: "#2f6fde" }]));
    $("chart-funding").replaceChildren(fundingBar(days.totals));
    const top = stores.rows.slice().sort((a, b) => b.gmv_fen - a.gmv_fen).slice(0, 10)
      .map((r) => ({ label: r.store_name || "门店 " + r.key, value: r.gmv_fen, text: HD.yuan(r.gmv_fen) }));
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
    $("promotions").replaceChildren(...promotions.map((p) => {
      const row = html("tr");
      const rule = (p.kind === "every_threshold" ? "每满" : "满") + HD.yuan(p.threshold_fen) + "减" + HD.yuan(p.discount_fen);
      for (const text of [p.name, rule, p.city_id === null ? "全国" : "城市 " + p.city_id,
                          p.paused ? "已暂停" : p.running ? "进行中" : "未在时段内"]) row.appendChild(html("td", {}, text));
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
      dot.appendChild(svg("title", {}, `${s.name}（${STATE_NAMES[s.state] || s.state}）`));
      chart.appendChild(dot);
    }
    return chart;
  }

  function fillList(id, items, describe) {
    $(id).replaceChildren(...(items.length ? items.map((i) => html("li", {}, describe(i)))
                                           : [html("li", { class: "hd-muted" }, "暂无（功能上线后在此显示）")]));
  }

  async function loadBoard() {
    if (cityId === null) return;
    const board = await HD.api("GET", `/v1/admin/cities/${cityId}/board`);
    $("city-name").textContent = board.city.name;
    $("map").replaceChildren(storeMap(board.stores));
    const counts = {};
    for (const s of board.stores) counts[s.state] = (counts[s.state] || 0) + 1;
    $("map-legend").replaceChildren(...Object.keys(STATE_COLOURS).map((state) => {
      const span = html("span"); const dot = html("i"); dot.style.background = STATE_COLOURS[state];
      span.append(dot, `${STATE_NAMES[state]} ${counts[state] || 0}`); return span;
    }));
    fillList("late", board.late_orders, (o) => `订单 ${o.order_id}（${o.status}）晚 ${o.late_minutes} 分钟`);
    fillList("failed", board.failed_deliveries, (d) => `配送 ${d.delivery_id} · 订单 ${d.order_id}`);
    fillList("timeouts", board.timeout_stores, (s) => `${s.name}：超时 ${s.timeouts} 次`);
  }

  const CHECKS = { ledger: "订单账目", stock: "库存占用", slots: "门店在途单数", campaign: "活动计数",
                   coupon: "券状态", history: "订单历程" };
  const SUBJECTS = { order: "订单", stock_row: "库存行", store: "门店", campaign: "活动", coupon: "券" };

  async function loadInvariants() {
    const run = await HD.api("GET", "/v1/admin/invariants");
    $("checked-at").textContent = run.checked_at === null ? "（尚未运行）"
      : `（${new Date(run.checked_at).toLocaleString("zh-CN")}：${run.violations} 处不符）`;
    $("invariants").replaceChildren(...(run.differences.length
      ? run.differences.map((d) => html("li", {},
          `${CHECKS[d.check] || "核对"}：${SUBJECTS[d.subject] || ""} ${d.subject_id} 应为 ${d.expected}，实为 ${d.actual}`))
      : [html("li", { class: "hd-muted" }, run.checked_at === null ? "每日核对后在此显示" : "全部一致")]));
  }

  HD.signIn("operator", async (me) => {
    const campaigns = await loadCampaigns();
    cityId = me.city_id || (campaigns[0] && campaigns[0].city_id) || null;
    $("csv").addEventListener("click", downloadCsv);
    await Promise.all([loadPromotions(), loadBoard(), loadInvariants()]);
    setInterval(() => loadCampaigns().catch(() => {}), 5000);
  });
})();
