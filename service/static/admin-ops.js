/* The console's operations panes: stock sync per store (with "sync now"), the audit trail with
   filters, deliveries nobody carries and orders not ready in time. */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const cell = (text, attrs) => { const td = document.createElement("td"); td.textContent = text; Object.assign(td, attrs || {}); return td; };
  let auditBefore = null;

  function when(iso) { return iso ? HD.dateTime(iso) : HD.t("console.never"); }

  function syncRow(s) {
    const row = document.createElement("tr");
    row.dataset.storeId = s.store_id;
    const run = s.last_run;
    const state = run ? HD.word("sync_status", run.status) + (run.status === "ok" || run.status === "succeeded"
      ? " · " + HD.t("console.rows", { n: run.rows_applied }) : "") : HD.t("console.never");
    const failing = Boolean(s.last_error) || s.failures > 0;
    row.append(cell(s.name), cell(HD.word("feed_kind", s.kind)), cell(when(s.last_success_at)),
               cell(failing ? HD.t("console.sync_failing", { n: s.failures }) : state,
                    { className: failing ? "hd-error" : "", title: s.last_error || "" }),
               cell(s.backoff_until ? HD.t("console.backoff", { time: when(s.backoff_until) }) : when(s.next_run_at)));
    const button = document.createElement("button");
    button.type = "button"; button.className = "sync-now"; button.textContent = HD.t("console.sync_now");
    button.addEventListener("click", () => syncNow(s, button));
    row.appendChild(cell("")).appendChild(button);
    return row;
  }

  async function syncNow(s, button) {
    button.disabled = true;
    $("sync-msg").textContent = HD.t("console.syncing", { store: s.name });
    try {
      const run = await HD.api("POST", "/v1/admin/sync/" + s.store_id, {});
      $("sync-msg").textContent = HD.t("console.synced", { store: s.name, status: HD.word("sync_status", run.status), n: run.rows_applied });
    } catch (error) { $("sync-msg").textContent = HD.errorText(error); }
    await loadSync();
  }

  async function loadSync() {
    const { stores } = await HD.api("GET", "/v1/admin/sync");
    for (const s of stores) HD.storeNames.set(s.store_id, s.name);
    $("sync").replaceChildren(...stores.map(syncRow));
    if (!stores.length) $("sync").replaceChildren(Object.assign(document.createElement("tr"), {}));
    if (!stores.length) $("sync").firstChild.appendChild(cell(HD.t("console.no_sync"), { colSpan: 6, className: "hd-muted" }));
  }

  function target(e) {
    const kind = HD.word("audit_target", e.target_type);
    if (e.target_type === "store" && e.target_id) return kind + " " + HD.storeName(e.target_id);
    return kind + (e.target_id ? " #" + e.target_id : "");
  }

  function change(e) {
    const keys = [...new Set([...Object.keys(e.old || {}), ...Object.keys(e.new || {})])];
    return keys.filter((k) => JSON.stringify((e.old || {})[k]) !== JSON.stringify((e.new || {})[k]))
      .map((k) => HD.word("audit_field", k) + "：" + show((e.old || {})[k]) + " → " + show((e.new || {})[k])).join("；");
  }
  function show(value) {
    if (value === undefined || value === null) return "—";
    if (typeof value === "boolean") return HD.t(value ? "console.yes" : "console.no");
    if (typeof value === "object") return HD.t("console.changed");
    return String(value);
  }

  /* Midnight starting a day ("2026-12-07", plus `days`) in the city's zone, with its offset. */
  function midnight(day, days) {
    const [y, m, d] = day.split("-").map(Number);
    const noon = new Date(Date.UTC(y, m - 1, d + days, 12));
    const zone = new Intl.DateTimeFormat("en-US", { timeZone: window.HD_ZONE || "Asia/Shanghai", timeZoneName: "longOffset" })
      .formatToParts(noon).find((p) => p.type === "timeZoneName").value;
    return noon.toISOString().slice(0, 10) + "T00:00:00" + (zone === "GMT" ? "+00:00" : zone.slice(3));
  }

  async function loadAudit(more) {
    const params = new URLSearchParams({ limit: "20" });
    if ($("audit-type").value) params.set("target_type", $("audit-type").value);
    if (/^\d+$/.test($("audit-id").value.trim())) params.set("target_id", $("audit-id").value.trim());
    if ($("audit-action").value) params.set("action", $("audit-action").value);
    if ($("audit-role").value) params.set("actor_role", $("audit-role").value);
    if ($("audit-since").value) params.set("since", midnight($("audit-since").value, 0));
    if ($("audit-until").value) params.set("until", midnight($("audit-until").value, 1));  // the whole last day
    if (more && auditBefore) params.set("before", auditBefore);
    try {
      const page = await HD.api("GET", "/v1/admin/audit?" + params);
      auditBefore = page.next_before;
      $("audit-more").hidden = !page.next_before;
      const items = page.events.map((e) => {
        const li = document.createElement("li");
        const details = change(e);
        li.textContent = HD.dateTime(e.at) + " · " + HD.word("actor_role", e.actor_role) + " · " + HD.word("audit_action", e.action) +
          " · " + target(e) + (details ? "（" + details + "）" : "");
        return li;
      });
      if (more) $("audit").append(...items); else HD.fillList("audit", page.events, () => "");
      if (!more && items.length) $("audit").replaceChildren(...items);
    } catch (error) { $("audit").replaceChildren(Object.assign(document.createElement("li"), { className: "hd-error", textContent: HD.errorText(error) })); }
  }

  async function loadQueues() {
    const read = async (path) => { try { return (await HD.api("GET", path)).items; } catch (error) { return null; } };
    const [unassigned, slow] = await Promise.all([read("/v1/ops/unassigned"), read("/v1/ops/slow-stores")]);
    if (unassigned) HD.fillList("unassigned", unassigned, (d) => HD.t("console.unassigned", { id: d.order_id, store: d.store_name,
      minutes: Math.floor(d.waiting_s / 60) }));
    if (slow) HD.fillList("slow", slow, (o) => HD.t("console.slow", { id: o.order_id, store: o.store_name, minutes: Math.floor(o.overdue_s / 60) }));
    for (const [id, list] of [["unassigned", unassigned], ["slow", slow]]) if (!list) HD.fillList(id, [], () => "");
  }

  HD.ops = {
    loadSync: () => loadSync().catch((error) => { $("sync-msg").textContent = HD.errorText(error); }),
    async start() {
      $("audit-filter").addEventListener("submit", (e) => { e.preventDefault(); loadAudit(false); });
      $("audit-more").addEventListener("click", () => loadAudit(true));
      await Promise.all([loadAudit(false), loadQueues()]);
      setInterval(() => { loadQueues(); HD.ops.loadSync(); }, 15000);
    },
  };
})();
