/* The courier's job screen: online switch, location, offer countdown, the job from store to door. */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  let offer = null, job = null, offerDeadline = 0, lastPoint = null, offline = false;

  function say(text) { $("message").textContent = text || ""; offline = false; }
  /* A failure in words; "offline" clears itself at the next answer from the server. */
  function failure(error) {
    say(HD.errorText(error));
    offline = !(error instanceof HD.ApiError);
  }
  function reached() { if (offline) say(""); }

  async function sendLocation(lat, lon, accuracy) {
    lastPoint = { lat, lon };
    const body = { lat, lon };
    if (accuracy != null) body.accuracy_m = Math.min(accuracy, 100000);
    await HD.api("PUT", "/v1/courier/location", body);
    reached();
    $("location-state").textContent = HD.t("courier.location_sent", { time: HD.time(new Date().toISOString()) });
  }

  function watchGeolocation() {
    if (!navigator.geolocation) return;
    navigator.geolocation.watchPosition(
      (p) => sendLocation(p.coords.latitude, p.coords.longitude, p.coords.accuracy).catch(failure),
      () => { $("location-state").textContent = HD.t("courier.no_geolocation"); },
      { enableHighAccuracy: true, maximumAge: 5000 });
  }

  function showOffer(found) {
    offer = found;
    $("offer").hidden = !offer;
    if (!offer) return;
    offerDeadline = Date.now() + offer.offer_seconds_left * 1000;
    $("offer-store").textContent = offer.store.name + " · " + offer.store.address;
    $("offer-drop").textContent = HD.t("courier.offer_drop", { address: offer.drop_off.address, n: offer.items_count });
    tickCountdown();
  }

  function tickCountdown() {
    if (!offer) return;
    const left = Math.max(0, Math.round((offerDeadline - Date.now()) / 1000));
    $("offer-countdown").textContent = HD.t("courier.seconds", { n: left });
    if (left === 0) showOffer(null);
  }

  function showJob(found) {
    job = found;
    $("job").hidden = !job;
    $("idle").hidden = Boolean(job || offer);
    if (!job) return;
    $("job-status").textContent = HD.word("courier_status", job.status) +
      (job.status !== "PICKED_UP" && job.order_status !== "READY" ? HD.t("courier.not_ready") : "");
    $("job-store").textContent = job.store.name;
    $("job-store-address").textContent = job.store.address;
    $("job-number").textContent = job.order_number;
    $("job-items").textContent = job.items_count;
    $("job-drop").textContent = job.drop_off.address + (job.drop_off.phone ? " · 顾客 " + job.drop_off.phone : "");
    $("arrived").hidden = job.status !== "ASSIGNED";
    $("picked").hidden = job.status === "PICKED_UP";
    $("picked").disabled = job.order_status !== "READY";
    $("deliver").hidden = $("fail").hidden = job.status !== "PICKED_UP";
  }

  async function refresh() {
    try {
      const [offers, current] = await Promise.all([
        HD.api("GET", "/v1/courier/offers"), HD.api("GET", "/v1/courier/deliveries/current")]);
      showOffer(offers.deliveries[0] || null);
      showJob(current.deliveries[0] || null);
      reached();
    } catch (error) { failure(error); }
  }

  async function act(method, path, body, done) {
    say("");
    try { const result = await HD.api(method, path, body); if (done) done(result); }
    catch (error) { failure(error); }
    await refresh();
  }

  function wire() {
    $("online").addEventListener("change", (e) => act("POST", "/v1/courier/" + (e.target.checked ? "online" : "offline"),
      undefined, (me) => { $("online-label").textContent = HD.t(me.status === "offline" ? "courier.offline" : "courier.online"); }));
    $("manual-location").addEventListener("submit", (e) => {
      e.preventDefault();
      const lat = parseFloat($("lat").value), lon = parseFloat($("lon").value);
      if (Number.isNaN(lat) || Number.isNaN(lon)) { say(HD.t("courier.bad_point")); return; }
      sendLocation(lat, lon).then(() => say(""), failure);
    });
    $("accept").addEventListener("click", () => act("POST", "/v1/courier/offers/" + offer.id + "/accept"));
    $("decline").addEventListener("click", () => act("POST", "/v1/courier/offers/" + offer.id + "/decline"));
    $("arrived").addEventListener("click", () => act("POST", "/v1/courier/deliveries/" + job.id + "/arrived-at-store"));
    $("picked").addEventListener("click", () => act("POST", "/v1/courier/deliveries/" + job.id + "/picked-up"));
    $("deliver").addEventListener("submit", (e) => {
      e.preventDefault();
      act("POST", "/v1/courier/deliveries/" + job.id + "/delivered", { code: $("code").value.trim() },
          () => { $("code").value = ""; say(HD.t("courier.delivered")); });
    });
    $("fail").addEventListener("click", () => act("POST", "/v1/courier/deliveries/" + job.id + "/failed",
      { reason: "consumer_unreachable" }));
  }

  HD.signIn("courier", () => {
    wire();
    watchGeolocation();
    refresh();
    setInterval(refresh, 3000);
    setInterval(tickCountdown, 1000);
    setInterval(() => { if (lastPoint) sendLocation(lastPoint.lat, lastPoint.lon).catch(() => {}); }, 5000);
  });
})();
