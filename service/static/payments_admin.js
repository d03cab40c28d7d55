/* The console's payments page: refunds needing an operator (retry) and those still pending at
   the provider, each day's reconciliation
   with its differing lines and spreadsheet, the latest payments. Words from the catalogue,
   never codes; the provider's own reference numbers stay as they are (finance looks them up). */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const el = (tag, props, ...children) => {
    const node = Object.assign(document.createElement(tag), props || {});
    node.append(...children);
    return node;
  };
  const row = (...cells) => el("tr", {}, ...cells.map((c) => (c instanceof Node ? el("td", {}, c) : el("td", { textContent: c }))));
  const empty = (columns, words) => el("tr", {}, el("td", { colSpan: columns, className: "hd-muted", textContent: words }));
  const ref = (text) => el("span", { className: "adm-ref", textContent: text });
  const ACCOUNTS = window.PAY_ACCOUNTS || {};
  const when = (iso) => (iso ? HD.dateTime(iso) : "");
  const fen = (value) => (value == null ? "—" : HD.yuan(value));

  /* A merchant account in words: its provider, and its name when a city has several. */
  function account(name) {
    const kind = ACCOUNTS[name];
    const words = HD.word("pay_provider", kind || "");
    return kind === name ? words : words + " · " + name;
  }

  async function refunds() {
    const found = await HD.api("GET", "/v1/admin/refunds");
    $("refunds").replaceChildren(...found.refunds.map((r) => row(HD.t("pay_admin.order_n", { id: r.order_id }), HD.yuan(r.amount_fen),
      HD.word("refund_reason", r.reason), el("span", { title: r.failure, textContent: HD.t("pay_admin.refund_failed") }), when(r.requested_at),
      el("button", { type: "button", className: "retry", textContent: HD.t("pay_admin.retry"), onclick: () => retry(r.id, r.order_id) }))));
    if (!found.refunds.length) $("refunds").append(empty(6, HD.t("pay_admin.no_refunds")));
  }

  async function pending() {
    const found = await HD.api("GET", "/v1/admin/refunds?status=REQUESTED");
    $("pending").replaceChildren(...found.refunds.map((r) => row(HD.t("pay_admin.order_n", { id: r.order_id }), HD.yuan(r.amount_fen),
      HD.word("refund_reason", r.reason), when(r.requested_at))));
    if (!found.refunds.length) $("pending").append(empty(4, HD.t("pay_admin.no_pending")));
  }

  async function retry(id, orderId) {
    try {
      await HD.api("POST", "/v1/admin/refunds/" + id + "/retry");
      $("refund-msg").textContent = HD.t("pay_admin.retried", { id: orderId });
    } catch (error) { $("refund-msg").textContent = HD.t("pay_admin.retry_failed", { why: HD.errorText(error) }); }
    await Promise.all([refunds(), pending()]);
  }

  async function days() {
    const found = await HD.api("GET", "/v1/admin/reconciliations");
    $("days").replaceChildren(...found.reconciliations.map((d) => row(d.day, account(d.account), status(d.status),
      String(d.statement_lines), String(d.matched), String(d.missing_here), String(d.missing_there),
      String(d.amount_differs), el("button", { type: "button", className: "show", textContent: HD.t("pay_admin.show"), onclick: () => lines(d.id) }))));
    if (!found.reconciliations.length) $("days").append(empty(9, HD.t("pay_admin.no_days")));
  }

  function status(code) {
    return el("span", { className: code === "reconciled" ? "hd-ok" : "hd-error", textContent: HD.word("recon_status", code) });
  }

  async function lines(id) {
    const day = await HD.api("GET", "/v1/admin/reconciliations/" + id);
    const head = el("thead", {}, el("tr", {}, ...["outcome", "kind", "trade_no", "refund_no", "ours", "theirs"]
      .map((name) => el("th", { textContent: HD.t("pay_admin.col_" + name) }))));
    const body = el("tbody", {}, ...day.lines.map((l) => row(HD.word("recon_outcome", l.outcome), HD.word("money_kind", l.kind),
      ref(l.out_trade_no), ref(l.out_refund_no || ""), fen(l.ours_fen), fen(l.theirs_fen))));
    if (!day.lines.length) body.append(empty(6, HD.t("pay_admin.no_differences")));
    const sheet = el("button", { type: "button", id: "day-csv", textContent: HD.t("pay_admin.export"), onclick: () => download(id, day) });
    $("day-lines").replaceChildren(el("h3", {}, day.day + " · " + account(day.account) + " · ", status(day.status)), el("div", { className: "adm-scroll" },
      el("table", { className: "adm-table", id: "day-table" }, head, body)), sheet);
  }

  async function download(id, day) {
    const response = await fetch("/v1/admin/reconciliations/" + id + "/csv", { headers: { Authorization: "Bearer " + HD.token() } });
    if (!response.ok) { $("day-msg").textContent = HD.t("error_status._other"); return; }
    const link = el("a", { href: URL.createObjectURL(await response.blob()), download: HD.t("pay_admin.file_name", { day: day.day, account: day.account }) });
    link.click();
  }

  async function payments() {
    const found = await HD.api("GET", "/v1/admin/payments?limit=50");
    $("payments").replaceChildren(...found.payments.map((p) => row(HD.t("pay_admin.order_n", { id: p.order_id }),
      HD.word("pay_method", p.method), HD.yuan(p.amount_fen), HD.word("pay_status", p.status), when(p.paid_at))));
    if (!found.payments.length) $("payments").append(empty(5, HD.t("pay_admin.no_payments")));
  }

  function start() {
    $("rerun").addEventListener("submit", async (e) => {
      e.preventDefault();
      $("day-msg").textContent = HD.t("pay_admin.reconciling");
      try {
        const done = await HD.api("POST", "/v1/admin/reconciliations/rerun", { account: $("rerun-account").value, day: $("rerun-day").value });
        $("day-msg").textContent = HD.t("pay_admin.rerun_done", { day: done.day, status: HD.word("recon_status", done.status) });
        await days();
        await lines(done.id);
      } catch (error) { $("day-msg").textContent = HD.t("pay_admin.rerun_failed", { why: HD.errorText(error) }); }
    });
    // Yesterday in the city: the day whose statement the providers have ready this morning.
    const today = new Intl.DateTimeFormat("en-CA", { timeZone: window.HD_ZONE || "Asia/Shanghai" }).format(new Date());
    $("rerun-day").value = new Date(Date.parse(today) - 86400000).toISOString().slice(0, 10);
    Promise.all([refunds(), pending(), days(), payments()]).catch((error) => { $("day-msg").textContent = HD.errorText(error); });
  }

  HD.signIn("operator", start);
})();
