/* The console's payments page: refunds needing an operator (retry), each day's reconciliation
   with its differing lines and CSV, the latest payments. Words, never codes. */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const el = (tag, props, ...children) => {
    const node = Object.assign(document.createElement(tag), props || {});
    node.append(...children);
    return node;
  };
  const row = (...cells) => el("tr", {}, ...cells.map((c) => (c instanceof Node ? el("td", {}, c) : el("td", { textContent: c }))));
  const WORDS = {
    OPEN: "待支付", PAID: "已支付", CLOSED: "已关闭", reconciled: "已对平", differs: "有差异",
    missing_here: "我方缺失", missing_there: "对方缺失", amount_differs: "金额不符",
    payment: "支付", refund: "退款", wechat: "微信支付", alipay: "支付宝", ecny: "数字人民币",
    cancelled: "取消订单", consumer: "顾客取消", short_pick: "缺货退款", no_store: "无门店接单",
    delivery_failed: "配送失败", paid_after_close: "关单后支付", unpaid: "超时未支付",
  };
  const say = (code) => WORDS[code] || "其他";
  const time = (iso) => (iso ? new Date(iso).toLocaleString("zh-CN", { hour12: false }) : "");

  async function refunds() {
    const found = await HD.api("GET", "/v1/admin/refunds");
    $("refunds").replaceChildren(...found.refunds.map((r) => row("#" + r.order_id, HD.yuan(r.amount_fen), say(r.reason),
      r.failure ? "支付机构未能退款" : "", time(r.requested_at),
      el("button", { type: "button", className: "retry", textContent: "重试", onclick: () => retry(r.id) }))));
    if (!found.refunds.length) $("refunds").append(row("没有需要处理的退款", "", "", "", "", ""));
  }

  async function retry(id) {
    try {
      await HD.api("POST", "/v1/admin/refunds/" + id + "/retry");
      $("refund-msg").textContent = "已重新发起退款。";
    } catch (error) { $("refund-msg").textContent = "未能重试：" + (error.message || "请稍后再试"); }
    refunds();
  }

  async function days() {
    const found = await HD.api("GET", "/v1/admin/reconciliations");
    $("days").replaceChildren(...found.reconciliations.map((d) => row(d.day, d.account, say(d.status),
      String(d.statement_lines), String(d.matched), String(d.missing_here), String(d.missing_there),
      String(d.amount_differs), el("button", { type: "button", textContent: "查看", onclick: () => lines(d.id) }))));
  }

  async function lines(id) {
    const day = await HD.api("GET", "/v1/admin/reconciliations/" + id);
    const table = el("table", { className: "adm-table" }, el("thead", {}, row("结果", "类型", "商户订单号", "我方金额", "对方金额")),
      el("tbody", {}, ...day.lines.map((l) => row(say(l.outcome), say(l.kind), l.out_trade_no,
        l.ours_fen == null ? "—" : HD.yuan(l.ours_fen), l.theirs_fen == null ? "—" : HD.yuan(l.theirs_fen)))));
    const csv = el("button", { type: "button", textContent: "导出 CSV", onclick: () => download(id, day) });
    $("day-lines").replaceChildren(el("h3", { textContent: day.day + " " + day.account + " · " + say(day.status) }), table, csv);
  }

  async function download(id, day) {
    const response = await fetch("/v1/admin/reconciliations/" + id + "/csv", { headers: { Authorization: "Bearer " + HD.token() } });
    const link = el("a", { href: URL.createObjectURL(await response.blob()), download: "对账-" + day.account + "-" + day.day + ".csv" });
    link.click();
  }

  async function payments() {
    const found = await HD.api("GET", "/v1/admin/payments?limit=50");
    $("payments").replaceChildren(...found.payments.map((p) => row("#" + p.order_id, say(p.method), HD.yuan(p.amount_fen),
      say(p.status), time(p.paid_at))));
  }

  function start() {
    $("rerun").addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const done = await HD.api("POST", "/v1/admin/reconciliations/rerun", { account: $("rerun-account").value, day: $("rerun-day").value });
        $("day-msg").textContent = done.day + " 已重新对账：" + say(done.status);
        days();
        lines(done.id);
      } catch (error) { $("day-msg").textContent = "未能对账：" + (error.message || "请检查账户与日期"); }
    });
    $("rerun-day").value = new Date(Date.now() - 86400000).toISOString().slice(0, 10);
    Promise.all([refunds(), days(), payments()]).catch(() => {});
  }

  HD.signIn("operator", start);
})();
