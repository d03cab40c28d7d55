/* Shared by every page: the sign-in component, the API helper, the connection state. No framework. */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const key = (role) => "hd.token." + role;

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

  const HD = {
    role: null,
    token() { return HD.role && localStorage.getItem(key(HD.role)); },

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
      connection(true);
      const data = response.status === 204 ? null : await response.json().catch(() => null);
      if (!response.ok) throw new ApiError(response.status, data);
      return data;
    },

    /* Ask for a token of `role` once; call onReady(me) when one is stored and accepted. */
    async signIn(role, onReady, options) {
      HD.role = role;
      const opts = options || {};
      const form = $("hd-signin-form"), error = $("hd-signin-error");
      const show = (signedIn) => { $("hd-signin").hidden = signedIn; $("hd-main").hidden = !signedIn;
                                   $("hd-signout").hidden = !signedIn; };
      const accept = async (token) => {
        localStorage.setItem(key(role), token);
        try {
          const me = await HD.api("GET", "/v1/me");
          if (me.role !== role) throw new ApiError(403, { error: { message: "这是" + me.role + "令牌，此页需要" + role + "令牌" } });
          $("hd-who").textContent = me.name;
          show(true);
          onReady(me);
        } catch (failure) {
          if (failure instanceof ApiError) localStorage.removeItem(key(role));
          error.textContent = failure instanceof ApiError ? failure.message : "无法连接服务器";
          error.hidden = false;
          show(false);
        }
      };
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        error.hidden = true;
        accept($("hd-token").value.trim());
      });
      $("hd-signout").addEventListener("click", () => { localStorage.removeItem(key(role)); location.reload(); });
      HD.renderDemo(opts.demo || [], accept);
      const stored = HD.token();
      if (stored) accept(stored); else show(false);
    },

    /* Demo mode: one-click sign-in buttons, each [{label, token}] or [{label, fetch: async () => token}]. */
    renderDemo(accounts, accept) {
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
    },

    yuan(fen) { return "¥" + (fen / 100).toFixed(2); },
    ApiError,
    connection,
  };
  window.HD = HD;
})();
