"""The report after a run: figures as JSON and as an HTML page with inline SVG charts."""

import html
import json
import statistics
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

from service.simulate import charts
from service.simulate.http import Api

FUNDERS = ("government", "platform", "merchant")
CHINA = timezone(timedelta(hours=8))


def build_report(api: Api, played: dict, campaign: dict | None, quota: int) -> dict:
    """Every figure the issue asks for, from what the actors saw and the campaign report."""
    outcomes, riders = played["outcomes"], played["riders"]
    orders = list(outcomes.orders.values())
    server_5xx = sum(1 for c in api.calls if c.status >= 500)
    return {
        "orders_placed": len(orders),
        "orders_delivered": sum(1 for o in orders if o["status"] == "DELIVERED"),
        "orders_cancelled": sum(1 for o in orders if o["status"] == "CANCELLED"),
        "orders_rejected_by_store": sum(1 for o in orders if o.get("rejected")),
        "orders_short_picked": sum(1 for o in orders if o.get("short_picked")),
        "visits": dict(outcomes.visits),
        "refused": dict(outcomes.refused),
        "no_store_reasons": dict(outcomes.reasons),
        "delivery_by_category": _by_category(orders),
        "on_time_rate": _on_time([o for o in orders if o["status"] == "DELIVERED"]),
        "claims": _claims(outcomes.claims, quota),
        "orders_per_minute": _per_minute(orders),
        "burn_fen": _burn(orders),
        "gmv_fen": sum(o["subtotal_fen"] for o in orders if o["status"] != "CANCELLED"),
        "latency_ms": _latency(api.calls),
        "server_5xx": server_5xx,
        "no_answer": sum(1 for c in api.calls if c.status == 0),
        "requests": len(api.calls),
        "hour_per_s": played.get("hour_per_s"),  # requests and couriers' locations a second
        "courier_utilisation": _utilisation(riders),
        "courier_minutes_per_delivery": _per_delivery(riders),
        "payments": _payments(orders, campaign, played.get("reconciliation")),
        "campaign": _campaign(campaign),
        "reconciled": campaign.get("reconciled") if campaign else None,
        "wall_s": round(played["wall_s"], 1),  # the scenario's hour; the drain is apart
        "drain": played["drain"],
        "simulator_cpu_s": round(played["simulator_cpu_s"], 1),
    }


def passed(report: dict) -> bool:
    """No 5xx and money that reconciles (unknown counts as a failure)."""
    return report["server_5xx"] == 0 and report["reconciled"] is True


def _on_time(delivered: list[dict]) -> float | None:
    if not delivered:
        return None
    late = sum(1 for o in delivered if o["delivered_at"] > _time(o["promised_at"]))
    return round(1 - late / len(delivered), 4)


def _by_category(orders: list[dict]) -> dict:
    groups = defaultdict(list)
    for order in orders:
        if order["status"] == "DELIVERED":
            groups[order["category"]].append(order)
    return {
        category: {
            "delivered": len(group),
            "on_time_rate": _on_time(group),
            **_quantiles(
                [(o["delivered_at"] - o["placed_at"]).total_seconds() / 60 for o in group],
                "minutes",
            ),
        }
        for category, group in sorted(groups.items())
    }


def _claims(claims: list, quota: int) -> dict:
    issued = sorted(at for at, code in claims if code == "issued")
    per_ten = Counter(_local(at, 10) for at, _ in claims)
    return {
        "attempts": len(claims),
        "issued": len(issued),
        "quota": quota,
        "refused": dict(Counter(code for _, code in claims if code != "issued")),
        "sold_out_at": issued[quota - 1].isoformat() if len(issued) >= quota else None,
        "per_second": {k: round(v / 10, 2) for k, v in sorted(per_ten.items())},
    }


def _local(at: datetime, seconds: int) -> str:
    """`at` in China time (every pilot city's zone), floored to `seconds`."""
    local = at.astimezone(CHINA)
    return local.replace(second=local.second // seconds * seconds, microsecond=0).strftime(
        "%H:%M:%S"
    )


def _per_minute(orders: list[dict]) -> dict:
    placed = Counter(_local(o["placed_at"], 60) for o in orders)
    delivered = Counter(_local(o["delivered_at"], 60) for o in orders if o.get("delivered_at"))
    return {"placed": dict(placed), "delivered": dict(delivered)}


def _burn(orders: list[dict]) -> dict:
    """Cumulative coupon money per funder by minute of placement (cancels left out)."""
    burnt, running = {f: {} for f in FUNDERS}, Counter()
    for order in sorted(orders, key=lambda o: o["placed_at"]):
        if order["status"] == "CANCELLED":
            continue
        running.update(order["funding"])
        for funder in FUNDERS:
            burnt[funder][_local(order["placed_at"], 60)] = running[funder]
    return burnt


def _latency(calls: list) -> dict:
    routes = defaultdict(list)
    for call in calls:
        routes[call.route].append(call)
    return {
        route: {
            "count": len(group),
            **_quantiles([c.ms for c in group], "ms", 99),
            "5xx": sum(1 for c in group if c.status >= 500),
            "no_answer": sum(1 for c in group if c.status == 0),
        }
        for route, group in sorted(routes.items())
    }


def _quantiles(values: list[float], unit: str, high: int = 90) -> dict:
    if len(values) < 2:
        value = round(values[0], 1) if values else None
        return {f"p50_{unit}": value, f"p{high}_{unit}": value}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {f"p50_{unit}": round(cuts[49], 1), f"p{high}_{unit}": round(cuts[high - 1], 1)}


def _utilisation(riders: list) -> float | None:
    online = sum(r.online_s for r in riders)
    return round(sum(r.busy_s for r in riders) / online, 3) if online else None


def _per_delivery(riders: list) -> float | None:
    """Business minutes a courier held jobs per order delivered: what bounds a fleet's hour."""
    delivered = sum(r.delivered for r in riders)
    return round(sum(r.busy_s for r in riders) / delivered / 60, 1) if delivered else None


def _payments(orders: list[dict], campaign: dict | None, day: dict | None) -> dict:
    """How the orders were paid (paid at once or late, abandoned, closed unpaid by the
    service), the notifications asked twice or lost, the refunds, and the day's reconciliation
    with the provider's statement (None where it could not be read)."""
    ways = Counter(o.get("payment", "unknown") for o in orders)
    apart = (campaign or {}).get("money_apart") or {}
    return {
        "paid": ways["paid"] + ways["paid_late"],
        "paid_late": ways["paid_late"],
        "abandoned": ways["abandoned"],
        "refused_at_cashier": ways["refused"],
        "closed_unpaid": sum(
            1
            for o in orders
            if o.get("payment") in ("abandoned", "refused") and o["status"] == "CANCELLED"
        ),
        "notified": dict(Counter(o["notified"] for o in orders if o.get("notified"))),
        "refunded_fen": _check_value(campaign, "refunded_fen", "refunds"),
        "refunds_pending_fen": apart.get("refunds_pending_fen"),
        "refunds_failed_fen": apart.get("refunds_failed_fen"),
        "closed_unpaid_orders": apart.get("closed_unpaid_orders"),
        "reconciliation": day,
    }


def _check_value(campaign: dict | None, name: str, side: str) -> int | None:
    """One side's figure of one of the campaign report's reconciliation checks."""
    for check in (campaign or {}).get("checks", []):
        if check.get("check") == name:
            return check["values"].get(side)
    return None


def _campaign(report: dict | None) -> dict | None:
    if not report:
        return None
    totals = report["totals"]
    burn = {
        row["key"]: {f: row.get(f"{f}_fen", 0) for f in FUNDERS} for row in report.get("rows", [])
    }
    return {
        "gmv_fen": totals.get("gmv_fen"),
        "leverage": totals.get("leverage"),
        "issued_fen": totals.get("issued_fen"),
        "redeemed_fen": totals.get("redeemed_fen"),
        "spent_fen": {f: totals.get(f"{f}_fen") for f in FUNDERS},
        "burn_by_hour": burn,
        "differences": report.get("differences", []),
    }


def _time(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def write_report(report: dict, folder: Path) -> Path:
    """report.json and index.html in `folder`; answers the HTML page's path."""
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report, indent=2, ensure_ascii=False, default=str)
    (folder / "report.json").write_text(text, encoding="utf-8")
    page = folder / "index.html"
    page.write_text(_html(report), encoding="utf-8")
    return page


def _html(report: dict) -> str:
    claims = report["claims"]["per_second"]
    burn = (report["campaign"] or {}).get("burn_by_hour", {})
    rows = "".join(
        f"<tr><td>{html.escape(r)}</td><td>{v['count']}</td><td>{v['p50_ms']}</td>"
        f"<td>{v['p99_ms']}</td><td>{v['5xx']}</td></tr>"
        for r, v in report["latency_ms"].items()
    )
    summary = {k: v for k, v in report.items() if not isinstance(v, dict)}
    return f"""<!doctype html><meta charset="utf-8"><title>Peak simulation</title>
<style>body{{font:14px sans-serif;margin:2em}}td,th{{padding:2px 8px;text-align:right}}</style>
<h1>Peak simulation: {"passed" if passed(report) else "FAILED"}</h1>
<pre>{html.escape(json.dumps(summary, indent=1, default=str))}</pre>
<h2>Claims per second (10-second buckets, city time)</h2>{charts.bars(claims)}
<h2>Money burnt per funder, cumulative (fen: coupons and promotions, the orders' funding)</h2>
{charts.lines(report["burn_fen"])}
<h2>Orders placed and delivered per minute</h2>{charts.lines(report["orders_per_minute"])}
<h2>Campaign report: spent per funder by hour (fen)</h2>
<pre>{html.escape(json.dumps(burn, indent=1))}</pre>
<h2>City report of the day: re-routes and cancels by reason, store states</h2>
<pre>{html.escape(json.dumps(report.get("city_report"), indent=1, ensure_ascii=False))}</pre>
<h2>Delivery by store category</h2>
<pre>{html.escape(json.dumps(report["delivery_by_category"], indent=1, ensure_ascii=False))}</pre>
<h2>API latency per route</h2><table><tr><th>route</th><th>n</th><th>p50 ms</th><th>p99 ms</th>
<th>5xx</th></tr>{rows}</table>"""
