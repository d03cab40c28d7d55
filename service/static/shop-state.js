/* The shop's memory: the chosen place, the cart and an order being placed survive a reload
   (localStorage); the view (results, a store, my orders, one order) lives in the URL, so Back
   and Forward move inside the app (History API). */
(function () {
  "use strict";
  const KEYS = { at: "hd.shop.at", cart: "hd.shop.cart", pending: "hd.shop.pending" };
  const read = (name) => { try { return JSON.parse(localStorage.getItem(KEYS[name]) || "null"); } catch (e) { return null; } };
  const write = (name, value) => {
    if (value === null || value === undefined) localStorage.removeItem(KEYS[name]);
    else localStorage.setItem(KEYS[name], JSON.stringify(value));
  };

  const Shop = {
    el(tag, attrs, ...children) {
      const node = document.createElement(tag);
      Object.assign(node, attrs || {});
      for (const child of children) if (child !== null && child !== undefined && child !== "") node.append(child);
      return node;
    },
    /* The drop point {lat, lon, label} or null. */
    place: () => read("at"),
    setPlace: (place) => write("at", place),
    /* The cart: {lines: [{sku, name, qty, priceFen}], storeId, couponId, couponChosen, noCoupon}. */
    cart() {
      const cart = read("cart") || {};
      return { lines: cart.lines || [], storeId: cart.storeId || null, couponId: cart.couponId || null,
               couponChosen: Boolean(cart.couponChosen), noCoupon: Boolean(cart.noCoupon), address: cart.address || "" };
    },
    saveCart: (cart) => write("cart", cart),
    /* The order being placed: {key, body}; kept until the service's answer to it was seen. */
    pending: () => read("pending"),
    setPending: (pending) => write("pending", pending),
    newKey: () => (crypto.randomUUID ? crypto.randomUUID() : Date.now() + "-" + Math.random().toString(16).slice(2)),

    /* The view in the URL: {view: "shop"|"store"|"orders"|"order", id, q, category}. */
    route() {
      const params = new URLSearchParams(location.search);
      if (params.get("order")) return { view: "order", id: Number(params.get("order")) };
      if (params.has("orders")) return { view: "orders" };
      return { view: params.get("store") ? "store" : "shop", id: Number(params.get("store")) || null,
               q: params.get("q") || "", category: params.get("category") || "" };
    },
    /* Go to a view: a new history entry (Back returns here) unless `replace`. */
    go(route, replace) {
      const params = new URLSearchParams();
      const lang = new URLSearchParams(location.search).get("lang");
      if (lang) params.set("lang", lang);
      if (route.view === "order") params.set("order", route.id);
      if (route.view === "orders") params.set("orders", "1");
      if (route.q) params.set("q", route.q);
      if (route.category) params.set("category", route.category);
      if (route.view === "store") params.set("store", route.id);
      const url = location.pathname + (params.toString() ? "?" + params : "");
      if (url === location.pathname + location.search) replace = true;
      history[replace ? "replaceState" : "pushState"]({ route }, "", url);
      Shop.onRoute(route);
    },
    onRoute: () => {},
  };
  window.addEventListener("popstate", () => Shop.onRoute(Shop.route()));
  window.Shop = Shop;
})();
