/* The public tracking page: timeline, an ETA counting down, an SVG sketch; polls every 5 s.
   The courier shows only while he carries the order; an ended link says so. */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  let etaAt = null, finished = false, timer = null;

  function renderEta() {
    if (finished) return;
    if (!etaAt) return;
    const left = Math.max(0, Math.round((etaAt - Date.now()) / 1000));
    $("eta").textContent = left ? HD.t("track.eta_left", { m: Math.floor(left / 60), s: String(left % 60).padStart(2, "0") })
                                : HD.t("track.any_minute");
  }

  function sketch(t) {
    const points = [["store", t.store], ["home", t.home]];
    if (t.courier && t.courier.lat != null) points.push(["courier", t.courier]);
    const lats = points.map((p) => p[1].lat), lons = points.map((p) => p[1].lon);
    const span = Math.max(Math.max(...lats) - Math.min(...lats), Math.max(...lons) - Math.min(...lons), 0.002);
    const midLat = (Math.max(...lats) + Math.min(...lats)) / 2, midLon = (Math.max(...lons) + Math.min(...lons)) / 2;
    const xy = (p) => [150 + (p.lon - midLon) / span * 220, 100 - (p.lat - midLat) / span * 150];
    const colour = { store: "#1f6feb", home: "#1a7f37", courier: "#e4393c" };
    const [sx, sy] = xy(t.store), [hx, hy] = xy(t.home);
    const NS = "http://www.w3.org/2000/svg", map = $("map");
    const node = (tag, attrs, text) => {
      const n = document.createElementNS(NS, tag);
      for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
      if (text) n.textContent = text;
      return n;
    };
    map.replaceChildren(node("line", { x1: sx, y1: sy, x2: hx, y2: hy, stroke: "#9aa7b0", "stroke-dasharray": "4 4" }));
    for (const [kind, p] of points) {
      const [x, y] = xy(p);
      map.append(node("circle", { cx: x, cy: y, r: 8, fill: colour[kind], "data-kind": kind }),
                 node("text", { x: x + 11, y: y + 5, "font-size": 13 }, HD.t("track.point_" + kind)));
    }
  }

  function courierLine(t) {
    if (t.status === "DELIVERED" || t.status === "CANCELLED") return "";
    if (t.looking_for_courier || (!t.courier && !t.delivery_status)) return HD.t("track.looking");
    if (!t.courier) return HD.t("track.courier_on_way");
    const age = t.courier.position_age_s;
    return HD.t("track.courier", { name: t.courier.name }) + (age != null ? " · " + HD.t("track.position_age", { s: age }) : "");
  }

  function render(t) {
    finished = t.status === "DELIVERED" || t.status === "CANCELLED";
    // eta_s is the service's own count: this browser's clock may differ from the business clock.
    etaAt = t.eta_s != null ? Date.now() + t.eta_s * 1000 : t.eta_at ? Date.parse(t.eta_at) : null;
    if (finished) $("eta").textContent = HD.word("order_status", t.status);
    else if (!etaAt) $("eta").textContent = t.looking_for_courier ? HD.t("track.looking_short") : "--";
    $("eta-note").textContent = HD.t("track.promised", { time: HD.time(t.promised_at) });
    $("late").hidden = !t.late;
    $("store-name").textContent = t.store.name;
    $("courier-line").textContent = courierLine(t);
    $("timeline").replaceChildren(...t.timeline.map((event) => {
      const item = document.createElement("li"), time = document.createElement("time");
      time.textContent = HD.time(event.at);
      item.append(time, HD.word("event_kind", event.kind));
      return item;
    }));
    sketch(t);
    renderEta();
  }

  function ended(text) {
    finished = true;
    clearInterval(timer);
    $("eta").textContent = text;
    $("eta").classList.add("dl-ended");
    for (const id of ["map-card", "detail-card"]) { const n = $(id); if (n) n.hidden = true; }
  }

  async function poll() {
    try { render(await HD.api("GET", "/v1/tracking/" + encodeURIComponent(window.TRACK_SHARE))); }
    catch (error) {
      if (!(error instanceof HD.ApiError)) return;  // offline: the banner says so; the next poll retries
      ended(HD.t(error.status === 410 ? "track.expired" : error.status === 404 ? "track.unknown" : "track.unavailable"));
    }
  }

  $("hd-main").hidden = false;  // public: the link itself is the credential, no sign-in
  if (!window.TRACK_SHARE) { ended(HD.t("track.unknown")); return; }
  poll();
  timer = setInterval(poll, 5000);
  setInterval(renderEta, 1000);
})();
