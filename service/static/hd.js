/* Shared by every page: the message catalogue, the API helper, the connection state, times and
   money in the city's words, and the sign-in component (its UI lives in _signin.html). */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const key = (role) => "hd.token." + role;
  const MSG = window.HD_MSG || {};
  const ZONE = window.HD_ZONE || "Asia/Shanghai";
  const LANG = document.documentElement.lang || "zh-CN";
  const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

  class ApiError extends Error {
    constructor(status, body) {
      const error = (body && body.error) || {};
      super(error.message || "HTTP " + status);
      this.status = status; this.code = error.code; this.field = error.field; this.body = body;
    }
  }

  /* Shows the offline banner while requests fail to reach the server; hides it when one does. */
  function connection(online) {
    const banner = $("hd-conn");
    if (banner) banner.hidden = online;
    document.body.classList.toggle("hd-offline", !online);
  }

  /* The catalogue's sentence for `name`, with {placeholders} filled from `vars`. */
  function t(name, vars) {
    const text = Object.prototype.hasOwnProperty.call(MSG, name) ? MSG[name] : null;
    if (text === null) return null;
    return text.replace(/\{(\w+)\}/g, (_, v) => (vars && v in vars ? String(vars[v]) : ""));
  }

  const HD = {
    role: null,
    t: (name, vars) => { const text = t(name, vars); return text === null ? name : text; },
    has: (name) => t(name) !== null,
    /* A code of `group` in words; the group's fallback when the code is new to the catalogue. */
    word(group, code, vars) { return t(group + "." + code, vars) || t(group + "._other", vars) || ""; },
    token() { return HD.role && localStorage.getItem(key(HD.role)); },

    /* An API failure as a sentence the person can act on, never a code or the server's English. */
    errorText(error) {
      if (!(error instanceof ApiError)) {
        if (!(error instanceof TypeError) || !/fetch/i.test(error.message)) console.error(error);  // a bug, not the network
        return HD.t("error.offline");
      }
      const details = (error.body && error.body.error) || {};
      if (error.code && t("error_code." + error.code) !== null) {
        if (error.field && t("field." + error.field) !== null && /^(invalid|invalid_input|validation_error)$/.test(error.code)) {
          return HD.t("error.field", { field: t("field." + error.field) });
        }
        return HD.t("error_code." + error.code, details);
      }
      if (error.field && t("field." + error.field) !== null) return HD.t("error.field", { field: t("field." + error.field) });
      return t("error_status." + error.status) || HD.t("error_status._other");
    },

    /* fetch JSON with the page's token; throws ApiError for 4xx/5xx, TypeError when offline. */
    async api(method, path, body, headers) {
      const init = { method, headers: Object.assign({ Accept: "application/json" }, headers || {}) };
      const token = HD.token();
      if (token) init.headers.Authorization = "Bearer " + token;
      if (body !== undefined) {
        init.headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(body);
      }
      let response;
      try { response = await fetch(path, init); } catch (error) { connection(false); throw error; }
      connection(response.status !== 502 && response.status !== 504);
      const data = response.status === 204 ? null : await response.json().catch(() => null);
      if (!response.ok) throw new ApiError(response.status, data);
      return data;
    },

    /* A time of day in the city's zone: "08:05". */
    time(iso) {
      if (!iso) return "";
      return new Intl.DateTimeFormat("en-GB", { timeZone: ZONE, hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
        .format(new Date(iso));
    },
    dateTime(iso) {
      return new Intl.DateTimeFormat(LANG, { timeZone: ZONE, month: "numeric", day: "numeric", hour: "2-digit",
                                             minute: "2-digit", hourCycle: "h23" }).format(new Date(iso));
    },
    /* Opening hours in words: {"mon": [["08:00","22:00"]], ...} -> "周一至周五 08:00–22:00；周六 …". */
    hours(opening) {
      if (!opening || opening["24h"]) return HD.t("hours.all_day");
      const spans = (day) => (opening[day] || []).map((s) => s.join("–")).join("、");
      const groups = [];
      for (const day of DAYS) {
        const text = spans(day), last = groups[groups.length - 1];
        if (last && last.text === text && last.to === DAYS[DAYS.indexOf(day) - 1]) last.to = day;
        else groups.push({ from: day, to: day, text });
      }
      return groups.filter((g) => g.text).map((g) => (g.from === g.to ? HD.t("weekday." + g.from)
        : HD.t("hours.range", { from: HD.t("weekday." + g.from), to: HD.t("weekday." + g.to) })) + " " + g.text)
        .join(HD.t("list.sep")) || HD.t("hours.closed");
    },
    yuan(fen) { return "¥" + (fen / 100).toFixed(2); },
    ApiError,
    connection,
  };

  /* ---- sign-in: a token kept in this browser; `optional` pages work signed out until asked. ---- */
  const waiting = [];
  const printable = (token) => /^[\x21-\x7e]{8,256}$/.test(token);

  function show(signedIn, optional) {
    $("hd-signin").hidden = signedIn || (optional && !waiting.length);
    $("hd-main").hidden = !signedIn && !optional;
    $("hd-signout").hidden = !signedIn;
    const login = $("hd-signin-open");
    if (login) login.hidden = signedIn || !optional;
  }

  /* Ask for a token of `role`; call onReady(me) each time one is stored and accepted. */
  HD.signIn = async function (role, onReady, options) {
    HD.role = role;
    const opts = options || {};
    const form = $("hd-signin-form"), error = $("hd-signin-error");
    const fail = (text) => { error.textContent = text; error.hidden = false; };
    const accept = async (token) => {
      error.hidden = true;
      if (!printable(token)) { localStorage.removeItem(key(role)); fail(HD.t("signin.bad_token")); show(false, opts.optional); return; }
      localStorage.setItem(key(role), token);
      try {
        const me = await HD.api("GET", "/v1/me");
        if (me.role !== role) throw new ApiError(403, { error: { code: "wrong_role" } });
        HD.me = me;
        $("hd-who").textContent = me.name;
        show(true, opts.optional);
        onReady(me);
        while (waiting.length) waiting.shift()(me);
      } catch (failure) {
        if (failure instanceof ApiError) localStorage.removeItem(key(role));
        fail(failure instanceof ApiError ? HD.t(failure.code === "wrong_role" ? "signin.wrong_role" : "signin.refused")
                                         : HD.t("error.offline"));
        show(false, opts.optional);
      }
    };
    form.addEventListener("submit", (event) => { event.preventDefault(); accept($("hd-token").value.trim()); });
    $("hd-signout").addEventListener("click", () => { localStorage.removeItem(key(role)); location.reload(); });
    const opener = $("hd-signin-open");
    if (opener) opener.addEventListener("click", () => HD.needSignIn());
    HD._optional = opts.optional;
    HD.renderDemo(opts.demo || [], accept);
    const stored = HD.token();
    if (stored) accept(stored); else show(false, opts.optional);
  };

  /* Resolves with me once signed in; on an optional page it opens the sign-in card first. */
  HD.needSignIn = function () {
    if (HD.me) return Promise.resolve(HD.me);
    return new Promise((done) => {
      waiting.push(done);
      show(false, HD._optional);
      $("hd-signin").scrollIntoView({ block: "center" });
    });
  };

  /* Demo mode: one-click sign-in buttons, each [{label, token}] or [{label, fetch: async () => token}]. */
  HD.renderDemo = function (accounts, accept) {
    const list = $("hd-demo");
    list.hidden = accounts.length === 0;
    for (const account of accounts) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = account.label;
      button.addEventListener("click", async () => accept(account.token || await account.fetch()));
      const item = document.createElement("li");
      item.appendChild(button);
      list.appendChild(item);
    }
  };
  window.HD = HD;
})();
