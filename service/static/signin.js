/* Real sign-in on every page (issue 23): phone + SMS code (shop, courier), pairing code (tablet),
   password + TOTP (console). Sessions are kept per role; access tokens are refreshed silently
   before they expire and once more when a request meets 401. Loaded after hd.js. */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const tokenKey = (role) => "hd.token." + role;
  const sessionKey = (role) => "hd.session." + role;
  /* Sign-in's own words for the refusals it meets (signin.error.*), in the page's language. */
  const say = (failure) => (failure && failure.code && HD.has("signin.error." + failure.code)
    ? HD.t("signin.error." + failure.code)
    : HD.t(failure instanceof HD.ApiError ? "signin.failed" : "signin.offline"));

  function stored(role) {
    try { return JSON.parse(localStorage.getItem(sessionKey(role)) || "null"); } catch (e) { return null; }
  }
  function keep(role, session) {
    localStorage.setItem(sessionKey(role), JSON.stringify(session));
    localStorage.setItem(tokenKey(role), session.access_token);
  }
  function forget(role) {
    localStorage.removeItem(sessionKey(role));
    localStorage.removeItem(tokenKey(role));
  }

  /* One refresh at a time: the callers inside a page share one request, and the tabs of one
     page (they share the stored session) take turns where the browser has Web Locks. A tab that
     finds the stored token already replaced by another tab uses it instead of refreshing, and a
     refusal ends the session only if no other tab stored a newer one meanwhile. The server
     still takes a token spent less than a minute ago (docs/sign-in.md), which covers a lost
     answer and browsers without Web Locks. */
  const refreshing = {};
  function refresh(role) {
    const seen = stored(role);
    if (!seen) return Promise.resolve(false);
    refreshing[role] = refreshing[role] || inTurn(role, () => renew(role, seen))
      .finally(() => { delete refreshing[role]; });
    return refreshing[role];
  }
  function inTurn(role, work) {
    return navigator.locks ? navigator.locks.request("hd.refresh." + role, work) : work();
  }
  function replaced(role, seen) {
    const now = stored(role);
    return !!now && now.refresh_token !== seen.refresh_token;
  }
  async function renew(role, seen) {
    if (replaced(role, seen)) return true;
    /* A hung request would hold the other tabs' turn: give up after 30 s; the next tick tries
       again within the server's one-minute grace if the answer was only lost. */
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), 30000);
    const response = await fetch("/v1/auth/refresh", { method: "POST", signal: stop.signal,
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ refresh_token: seen.refresh_token }) })
      .catch(() => null).finally(() => clearTimeout(timer));
    if (!response) return false;  // offline or gave up: the next tick tries again
    if (response.status === 401) {
      if (replaced(role, seen)) return true;
      forget(role);
      return false;
    }
    if (!response.ok) return false;
    keep(role, await response.json());
    return true;
  }

  /* A request that meets 401 with a session refreshes it once and is sent again. */
  const api = HD.api;
  HD.api = async function (method, path, body, headers) {
    try {
      return await api(method, path, body, headers);
    } catch (failure) {
      if (!(failure instanceof HD.ApiError) || failure.status !== 401 || !HD.role
          || !stored(HD.role) || !(await refresh(HD.role))) throw failure;
      return api(method, path, body, headers);
    }
  };

  /* Refresh a minute before the access token expires. */
  setInterval(() => {
    const session = HD.role && stored(HD.role);
    if (session && Date.parse(session.access_expires_at) - Date.now() < 60000) refresh(HD.role);
  }, 15000);

  async function post(path, body) {
    const response = await fetch(path, { method: "POST", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", Accept: "application/json" } });
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new HD.ApiError(response.status, data);
    return { status: response.status, data };
  }

  function field(id, label, type, extra) {
    const wrap = document.createElement("label");
    wrap.textContent = label;
    const input = document.createElement("input");
    Object.assign(input, { id, type: type || "text", autocomplete: "off" }, extra || {});
    wrap.appendChild(input);
    return wrap;
  }
  function button(id, text) {
    const b = document.createElement("button");
    Object.assign(b, { id, type: "button", textContent: text });
    return b;
  }

  function form(role, box, done) {
    const error = document.createElement("p");
    Object.assign(error, { id: "si-error", className: "hd-error", hidden: true });
    error.setAttribute("role", "alert");
    const fail = (failure) => { error.textContent = say(failure); error.hidden = false; };
    const succeed = (session) => { keep(role, session); done(); };
    if (role === "consumer" || role === "courier") phoneForm(role, box, fail, succeed);
    else if (role === "store") pairForm(box, fail, succeed);
    else if (role === "operator") operatorForm(box, fail, succeed);
    box.appendChild(error);
  }

  function phoneForm(role, box, fail, succeed) {
    const note = document.createElement("p");
    Object.assign(note, { id: "si-note", className: "hd-muted", hidden: true });
    box.append(field("si-phone", HD.t("signin.phone"), "tel", { inputMode: "tel", placeholder: "138 0000 0000" }),
               button("si-send", HD.t("signin.send_code")),
               field("si-code", HD.t("signin.code"), "text", { inputMode: "numeric", maxLength: 6 }),
               button("si-go", HD.t("signin.go")), note);
    $("si-send").addEventListener("click", async () => {
      try {
        const sent = (await post("/v1/auth/code", { phone: $("si-phone").value })).data;
        note.textContent = sent.demo_code ? HD.t("signin.demo_code", { code: sent.demo_code })
                                          : HD.t("signin.code_sent");
        note.hidden = false;
      } catch (failure) { fail(failure); }
    });
    $("si-go").addEventListener("click", async () => {
      try {
        succeed((await post("/v1/auth/sign-in", { phone: $("si-phone").value,
                                                  code: $("si-code").value.trim(), role })).data);
      } catch (failure) { fail(failure); }
    });
  }

  function pairForm(box, fail, succeed) {
    box.append(field("si-pair", HD.t("signin.pairing_code"), "text", { placeholder: "XXXXX-XXXXX" }),
               field("si-device", HD.t("signin.device_name"), "text", { value: HD.t("signin.device_default") }),
               button("si-pair-go", HD.t("signin.pair")));
    $("si-pair-go").addEventListener("click", async () => {
      try {
        succeed((await post("/v1/auth/pair", { code: $("si-pair").value,
                                               device_name: $("si-device").value })).data);
      } catch (failure) { fail(failure); }
    });
  }

  function operatorForm(box, fail, succeed) {
    const enrol = document.createElement("div");
    Object.assign(enrol, { id: "si-enrol", hidden: true });
    box.append(field("si-user", HD.t("signin.username")), field("si-pass", HD.t("signin.password"), "password"),
               field("si-totp", HD.t("signin.totp"), "text", { inputMode: "numeric", maxLength: 6 }),
               button("si-op-go", HD.t("signin.go")), enrol);
    $("si-op-go").addEventListener("click", async () => {
      try {
        const answer = await post("/v1/auth/operator/sign-in", { username: $("si-user").value,
          password: $("si-pass").value, totp: $("si-totp").value.trim() || null });
        if (answer.status === 201) return succeed(answer.data);
        enrol.replaceChildren();
        const img = document.createElement("img");
        Object.assign(img, { id: "si-qr", src: answer.data.qr_svg, alt: HD.t("signin.qr_alt") });
        const secret = document.createElement("code");
        Object.assign(secret, { id: "si-secret", textContent: answer.data.secret });
        const text = document.createElement("p");
        const [before, after] = HD.t("signin.enrol", { secret: "\n" }).split("\n");  // the key's place in the sentence
        text.append(before, secret, after || "");
        enrol.append(img, text);
        enrol.hidden = false;
      } catch (failure) { fail(failure); }
    });
  }

  /* Sign-out ends the session on the server too. */
  function hookSignOut(role) {
    $("hd-signout").addEventListener("click", () => {
      const session = stored(role);
      if (session) {
        fetch("/v1/auth/sign-out", { method: "POST", keepalive: true,
                                     headers: { Authorization: "Bearer " + session.access_token } });
      }
      forget(role);
    }, { capture: true });
  }

  const signIn = HD.signIn;
  HD.signIn = function (role, onReady, options) {
    const box = $("hd-signin-real");
    if (box) form(role, box, () => location.reload());
    hookSignOut(role);
    return signIn.call(HD, role, onReady, options);
  };
  HD.session = { stored, refresh, forget };
})();
