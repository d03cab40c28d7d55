/* The console's account management (issue 23): create operators, register couriers, disable,
   enable and reset accounts, pair and unpair store tablets, the audit trail. Loaded before
   admin.js; runs once the operator is signed in with password + TOTP. */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const cell = (text) => { const td = document.createElement("td"); td.textContent = text; return td; };
  const show = (text) => { $("acc-result").textContent = text; };
  const fail = (error) => show(HD.t("accounts.failed", { why: HD.errorText(error) }));
  const cityOf = (id) => ($(id).value.trim() ? Number($(id).value.trim()) : null);

  function action(text, run) {
    const b = document.createElement("button");
    Object.assign(b, { type: "button", textContent: text });
    b.addEventListener("click", () => run().catch(fail));
    return b;
  }

  async function loadAccounts() {
    const role = $("acc-role").value;
    const { accounts } = await HD.api("GET", "/v1/admin/accounts?role=" + role);
    $("acc-list").replaceChildren(...accounts.map((a) => {
      const row = document.createElement("tr");
      row.dataset.accountId = a.id;
      const buttons = document.createElement("td");
      const change = a.disabled ? "enable" : "disable";
      buttons.append(action(HD.t(a.disabled ? "accounts.enable" : "accounts.disable"), async () => {
        await HD.api("POST", `/v1/admin/accounts/${role}/${a.id}/${change}`);
        await Promise.all([loadAccounts(), loadAudit()]);
      }));
      if (role === "operator") buttons.append(action(HD.t("accounts.reset"), async () => {
        const reset = await HD.api("POST", `/v1/admin/operators/${a.id}/reset`);
        show(HD.t("accounts.reset_done", { name: a.name, password: reset.password }));
        await loadAudit();
      }));
      row.append(cell(a.name), cell(a.phone || "—"),
                 cell(HD.t(a.disabled ? "accounts.state_disabled" : "accounts.state_active")), buttons);
      return row;
    }));
  }

  async function loadAudit() {
    const { events } = await HD.api("GET", "/v1/admin/accounts/audit");
    $("acc-audit").replaceChildren(...events.slice(0, 30).map((e) => {
      const item = document.createElement("li");
      item.textContent = HD.t("accounts.audit_line", { at: HD.dateTime(e.at), actor: e.actor_id,
        action: HD.word("accounts.action", e.action), role: HD.word("actor_role", e.new.role),
        target: e.target_id });
      return item;
    }));
  }

  async function loadDevices() {
    const store = $("acc-store").value.trim();
    const { devices } = await HD.api("GET", `/v1/admin/stores/${store}/devices`);
    $("acc-device-list").replaceChildren(...devices.map((d) => {
      const item = document.createElement("li");
      item.textContent = HD.t("accounts.paired", { label: d.label, at: HD.dateTime(d.created_at) }) + " ";
      item.append(action(HD.t("accounts.unpair"), async () => {
        await HD.api("POST", `/v1/admin/stores/${store}/devices/${d.session_id}/revoke`);
        await loadDevices();
      }));
      return item;
    }));
    if (!devices.length) show(HD.t("accounts.no_devices"));
  }

  function wire() {
    $("acc-op-create").addEventListener("click", () => HD.api("POST", "/v1/admin/operators",
      { name: $("acc-op-name").value.trim(), city_id: cityOf("acc-op-city") }).then((made) => {
      show(HD.t("accounts.operator_created", { name: made.name, password: made.password }));
      return Promise.all([loadAccounts(), loadAudit()]);
    }).catch(fail));
    $("acc-cr-create").addEventListener("click", () => HD.api("POST", "/v1/admin/couriers",
      { name: $("acc-cr-name").value.trim(), phone: $("acc-cr-phone").value.trim(),
        city_id: cityOf("acc-cr-city") }).then((made) => {
      show(HD.t("accounts.courier_registered", { name: made.name, phone: made.phone }));
      return Promise.all([loadAccounts(), loadAudit()]);
    }).catch(fail));
    $("acc-role").addEventListener("change", () => loadAccounts().catch(fail));
    $("acc-pair").addEventListener("click", () => HD.api("POST",
      `/v1/admin/stores/${$("acc-store").value.trim()}/pairing-codes`).then((issued) => {
      show(HD.t("accounts.pairing_code", { code: issued.code }));
    }).catch(fail));
    $("acc-devices").addEventListener("click", () => loadDevices().catch(fail));
  }

  const signIn = HD.signIn;
  HD.signIn = function (role, onReady, options) {
    return signIn.call(HD, role, async (me) => {
      const section = $("acc");
      if (section && role === "operator") {
        section.hidden = false;
        const full = me.signed_in_by === "password_totp";
        $("acc-locked").hidden = full;
        $("acc-tools").hidden = !full;
        if (full) { wire(); loadAccounts().catch(fail); loadAudit().catch(fail); }
      }
      return onReady(me);
    }, options);
  };
})();
