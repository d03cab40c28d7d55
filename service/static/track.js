/* The public tracking page: timeline, an ETA counting down, an SVG sketch; polls every 5 s. */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const KINDS = { placed: "已下单", accepted: "商家已接单", courier_assigned: "骑手已接单",
    courier_arrived: "骑手已到店", ready: "商品已备好", picked_up: "骑手已取货", delivered: "已送达",
    cancelled: "已取消", compensated: "超时补偿券已发放", delivery_failed: "未能送达", redelivery: "重新配送" };
  let etaAt = null, finished = false;

  function renderEta() {
    if (finished) return;
    if (!etaAt) { $("eta").textContent = "--"; return; }
    const left = Math.max(0, Math.round((etaAt - Date.now()) / 1000));
    $("eta").textContent = Math.floor(left / 60) + " 分 " + String(left % 60).padStart(2, "0") + " 秒";
  }

  function sketch(t) {
    const points = [["store", t.store], ["home", t.home]];
    if (t.courier && t.courier.lat != null) points.push(["courier", t.courier]);
    const lats = points.map((p) => p[1].lat), lons = points.map((p) => p[1].lon);
    const span = Math.max(Math.max(...lats) - Math.min(...lats), Math.max(...lons) - Math.min(...lons), 0.002);
    const midLat = (Math.max(...lats) + Math.min(...lats)) / 2, midLon = (Math.max(...lons) + Math.min(...lons)) / 2;
    const xy = (p) => [150 + (p.lon - midLon) / span * 220, 100 - (p.lat - midLat) / span * 150];
    const colour = { store: "#1f6feb", home: "#1a7f37", courier: "#e4393c" };
    const label = { store: "门店", home: "家", courier: "骑手" };
    const [sx, sy] = xy(t.store), [hx, hy] = xy(t.home);
    let svg = `<line x1="${sx}" y1="${sy}" x2="${hx}" y2="${hy}" stroke="#9aa7b0" stroke-dasharray="4 4"/>`;
    for (const [kind, p] of points) {
      const [x, y] = xy(p);
      svg += `<circle cx="${x}" cy="${y}" r="8" fill="${colour[kind]}" data-kind="${kind}"/>` +
             `<text x="${x + 11}" y="${y + 5}" font-size="13">${label[kind]}</text>`;
    }
    $("map").innerHTML = svg;
  }

  function render(t) {
    finished = t.status === "DELIVERED" || t.status === "CANCELLED";
    etaAt = t.eta_at ? Date.parse(t.eta_at) : null;
    if (t.status === "DELIVERED") $("eta").textContent = "已送达";
    if (t.status === "CANCELLED") $("eta").textContent = "已取消";
    $("eta-note").textContent = "承诺送达 " + new Date(t.promised_at).toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit" });
    $("late").hidden = !t.late;
    $("store-name").textContent = t.store.name;
    $("courier-line").textContent = t.courier
      ? "骑手 " + t.courier.name + (t.courier.position_age_s != null ? " · 位置更新于 " + t.courier.position_age_s + " 秒前" : "")
      : "正在为您安排骑手";
    $("timeline").innerHTML = "";
    for (const event of t.timeline) {
      const item = document.createElement("li");
      const time = document.createElement("time");
      time.textContent = new Date(event.at).toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit" });
      item.append(time, KINDS[event.kind] || event.kind);
      $("timeline").appendChild(item);
    }
    sketch(t);
    renderEta();
  }

  async function poll() {
    try { render(await HD.api("GET", "/v1/tracking/" + encodeURIComponent(window.TRACK_SHARE))); }
    catch (error) {
      if (error instanceof HD.ApiError) { $("eta").textContent = "链接无效或已过期"; finished = true; }
    }
  }

  $("hd-main").hidden = false;  // public: the link itself is the credential, no sign-in
  poll();
  setInterval(poll, 5000);
  setInterval(renderEta, 1000);
})();
