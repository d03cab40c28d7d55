/* The console's account management (issue 23): create operators, register couriers, disable,
   enable and reset accounts, pair and unpair store tablets, the audit trail. Loaded before
   admin.js; runs once the operator is signed in with password + TOTP. */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const ROLE = { courier: "骑手", operator: "运营", consumer: "顾客" };
  const ACTION = { "account.create": "新建", "account.disable": "停用", "account.enable": "启用",
                   "account.reset": "重置密码" };
  const cell = (text) => { const td = document.createElement("td"); td.textContent = text; return td; };
  const show = (text) => { $("acc-result").textContent = text; };
  const fail = (error) => show("操作失败：" + (error.message || "无法连接服务器"));
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
      buttons.append(action(a.disabled ? "启用" : "停用", async () => {
        await HD.api("POST", `/v1/admin/accounts/${role}/${a.id}/${change}`);
        await Promise.all([loadAccounts(), loadAudit()]);
      }));
      if (role === "operator") buttons.append(action("重置密码", async () => {
        const reset = await HD.api("POST", `/v1/admin/operators/${a.id}/reset`);
        show(`${a.name} 的新临时密码：${reset.password}（首次登录时重新绑定身份验证器）`);
        await loadAudit();
      }));
      row.append(cell(a.name), cell(a.phone || "—"), cell(a.disabled ? "已停用" : "正常"), buttons);
      return row;
    }));
  }

  async function loadAudit() {
    const { events } = await HD.api("GET", "/v1/admin/accounts/audit");
    $("acc-audit").replaceChildren(...events.slice(0, 30).map((e) => {
      const item = document.createElement("li");
      item.textContent = `${new Date(e.at).toLocaleString("zh-CN")} · 运营 #${e.actor_id} ` +
        `${ACTION[e.action] || e.action} ${ROLE[e.new.role] || ""} #${e.target_id}`;
      return item;
    }));
  }

  async function loadDevices() {
    const store = $("acc-store").value.trim();
    const { devices } = await HD.api("GET", `/v1/admin/stores/${store}/devices`);
    $("acc-device-list").replaceChildren(...devices.map((d) => {
      const item = document.createElement("li");
      item.textContent = `${d.label} · 配对于 ${new Date(d.created_at).toLocaleString("zh-CN")} `;
      item.append(action("解除配对", async () => {
        await HD.api("POST", `/v1/admin/stores/${store}/devices/${d.session_id}/revoke`);
        await loadDevices();
      }));
      return item;
    }));
    if (!devices.length) show("该门店没有已配对的平板");
  }

  function wire() {
    $("acc-op-create").addEventListener("click", () => HD.api("POST", "/v1/admin/operators",
      { name: $("acc-op-name").value.trim(), city_id: cityOf("acc-op-city") }).then((made) => {
      show(`已新建运营账户 ${made.name}，临时密码：${made.password}`);
      return Promise.all([loadAccounts(), loadAudit()]);
    }).catch(fail));
    $("acc-cr-create").addEventListener("click", () => HD.api("POST", "/v1/admin/couriers",
      { name: $("acc-cr-name").value.trim(), phone: $("acc-cr-phone").value.trim(),
        city_id: cityOf("acc-cr-city") }).then((made) => {
      show(`已登记骑手 ${made.name}（${made.phone}），他可用该手机号和短信验证码登录`);
      return Promise.all([loadAccounts(), loadAudit()]);
    }).catch(fail));
    $("acc-role").addEventListener("change", () => loadAccounts().catch(fail));
    $("acc-pair").addEventListener("click", () => HD.api("POST",
      `/v1/admin/stores/${$("acc-store").value.trim()}/pairing-codes`).then((issued) => {
      show(`配对码 ${issued.code}（10 分钟内有效，只能使用一次）`);
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
