/* Where to deliver: a place found by name, the browser's location, or a district; the chosen
   point is always shown by its place name. */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const el = Shop.el;
  const say = (text) => { $("where-msg").textContent = text || ""; };

  function label(place) {
    return [place.city_name, place.district !== place.name ? place.district : null, place.name]
      .filter(Boolean).join(" · ");
  }

  /* Make `place` {lat, lon, label} the drop point. */
  function choose(place) {
    Shop.setPlace(place);
    say("");
    $("place-results").replaceChildren();
    show(place);
    Shop.onPlace(place);
  }

  function show(place) {
    $("where-now").textContent = place ? HD.t("where.now", { place: place.label }) : HD.t("where.none");
  }

  async function findPlace(event) {
    event.preventDefault();
    const q = $("place-q").value.trim();
    if (!q) { say(HD.t("where.type_a_name")); return; }
    try {
      const found = await HD.api("GET", "/v1/places/search?q=" + encodeURIComponent(q));
      say(found.items.length ? "" : HD.t("where.no_place", { q }));
      $("place-results").replaceChildren(...found.items.map((place) => el("li", {},
        el("div", { className: "grow" }, el("div", { className: "name", textContent: place.name }),
          el("div", { className: "hd-muted", textContent: [place.city_name, place.district, HD.word("place_kind", place.kind)]
            .filter(Boolean).join(" · ") })),
        el("button", { type: "button", className: "choose", textContent: HD.t("where.choose"),
                       onclick: () => choose({ lat: place.lat, lon: place.lon, label: label(place) }) }))));
    } catch (error) { say(HD.errorText(error)); }
  }

  /* The browser's position; denied or unavailable says so and leaves the search to the person. */
  function locate() {
    if (!navigator.geolocation) { say(HD.t("where.no_geolocation")); $("place-q").focus(); return; }
    say(HD.t("where.locating"));
    navigator.geolocation.getCurrentPosition(async (position) => {
      const lat = Number(position.coords.latitude.toFixed(6)), lon = Number(position.coords.longitude.toFixed(6));
      let name = HD.t("where.my_location");
      try {
        const near = await HD.api("GET", "/v1/places/nearest?lat=" + lat + "&lon=" + lon);
        if (near && near.place) name = HD.t("where.near", { place: label(near.place) });
      } catch (error) {
        if (error instanceof HD.ApiError && error.code === "outside_service_area") { say(HD.errorText(error)); return; }
      }
      choose({ lat, lon, label: name });
    }, (failure) => {
      say(HD.t(failure.code === 1 ? "where.geolocation_denied" : "where.geolocation_failed"));
      $("place-q").focus();
    }, { enableHighAccuracy: false, timeout: 10000, maximumAge: 60000 });
  }

  Shop.where = {
    start() {
      $("place-search").addEventListener("submit", findPlace);
      $("locate").addEventListener("click", locate);
      $("place").addEventListener("change", (e) => {
        if (!e.target.value) return;
        const [lat, lon] = e.target.value.split(",").map(Number);
        choose({ lat, lon, label: e.target.selectedOptions[0].textContent });
      });
      show(Shop.place());
    },
    choose,
    say,
  };
})();
