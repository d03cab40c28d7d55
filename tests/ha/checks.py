"""What must hold in the database after an outage: everything acknowledged is there, nothing
is over-issued, oversold or done twice. Each check returns the broken cases (empty: it holds)."""

import time

import requests
from sqlalchemy import Engine, text

from tests.ha.ledger import Ledger

# An order reaches each of these states once at most (a re-match goes back to PLACED, so
# PLACED may repeat; these may not).
ONCE = ("ACCEPTED", "READY", "PICKED_UP", "DELIVERED", "CANCELLED")


def broken(engine: Engine, ledger: Ledger) -> dict[str, list]:
    """Every failed invariant, by name, with its offending rows."""
    with engine.connect() as conn:
        found = {
            "acknowledged orders missing": _missing(conn, "orders", set(ledger.orders.values())),
            "acknowledged claims missing": _missing(
                conn, "pack_claims", set(ledger.claims.values())
            ),
            "acknowledged cancels not cancelled": _not_in(conn, ledger.cancels, "CANCELLED"),
            "acknowledged payments not charged": _not_charged(conn, ledger.paid),
            "acknowledged deliveries not delivered": _not_in(conn, ledger.delivered, "DELIVERED"),
        }
        for name, query in QUERIES.items():
            found[name] = [tuple(row) for row in conn.execute(text(query)).all()]
    return {name: rows for name, rows in found.items() if rows}


def report_broken(
    http: requests.Session, url: str, operator_token: str, campaign_id: int
) -> list[str]:
    """The campaign report's own reconciliation, and its money adding up per funder."""
    answer = http.get(
        f"{url}/v1/admin/reports/campaigns/{campaign_id}",
        timeout=30,
        headers={"Authorization": f"Bearer {operator_token}"},
    )
    if answer.status_code != 200:
        return [f"report answered {answer.status_code}: {answer.text[:300]}"]
    body, problems = answer.json(), []
    if not body["reconciled"] or body["differences"]:
        problems.append(f"not reconciled: {body['differences']}")
    totals = body["totals"]
    funders = totals["government_fen"] + totals["platform_fen"] + totals["merchant_fen"]
    if funders != totals["redeemed_fen"]:
        problems.append(f"funders {funders} != redeemed {totals['redeemed_fen']}")
    if totals["redeemed_fen"] > totals["issued_fen"]:
        problems.append(f"redeemed {totals['redeemed_fen']} > issued {totals['issued_fen']}")
    return problems


def counts(engine: Engine) -> dict[str, int]:
    """How many of each side effect the run left, to report beside the checks."""
    with engine.connect() as conn:
        return {name: conn.execute(text(query)).scalar() for name, query in COUNTS.items()}


def _missing(conn, table: str, ids: set[int]) -> list[int]:
    if not ids:
        return []
    query = text(f"SELECT id FROM {table} WHERE id = ANY(:ids)")
    found = {row[0] for row in conn.execute(query, {"ids": list(ids)})}
    return sorted(ids - found)


def _not_in(conn, ids: set[int], status: str) -> list[tuple]:
    if not ids:
        return []
    query = text("SELECT id, status FROM orders WHERE id = ANY(:ids) AND status <> :status")
    return [tuple(row) for row in conn.execute(query, {"ids": list(ids), "status": status})]


def _not_charged(conn, ids: set[int]) -> list[tuple]:
    """Orders the cashier said were paid without a PAID payment and its one charge."""
    if not ids:
        return []
    query = text(
        "SELECT p.order_id, p.status FROM payments p WHERE p.order_id = ANY(:ids)"
        " AND (p.status <> 'PAID' OR NOT EXISTS (SELECT 1 FROM ledger_entries l"
        " WHERE l.order_id = p.order_id AND l.kind = 'charge' AND l.amount_fen = p.amount_fen))"
    )
    return [tuple(row) for row in conn.execute(query, {"ids": list(ids)})]


def settle_refunds(engine: Engine, timeout_s: float = 45.0) -> int:
    """Wait until the send_refunds job (every 5 s) has had the provider settle every refund a
    cancel requested, so the ledger shows the money that went back; the refunds left."""
    deadline = time.monotonic() + timeout_s
    query = text("SELECT count(*) FROM refunds WHERE status = 'REQUESTED'")
    while True:
        with engine.connect() as conn:
            left = conn.execute(query).scalar()
        if left == 0 or time.monotonic() > deadline:
            return left
        time.sleep(0.5)


QUERIES = {
    "batches over their quota or miscounted": """
        SELECT b.id, b.packs_claimed, b.pack_quota, count(p.id) FROM batches b
        LEFT JOIN pack_claims p ON p.batch_id = b.id GROUP BY b.id
        HAVING b.packs_claimed > b.pack_quota OR b.packs_claimed <> count(p.id)""",
    "campaigns over budget or miscounted": """
        SELECT c.id, c.issued_fen, c.budget_fen, coalesce(sum(p.face_value_fen), 0)
        FROM campaigns c LEFT JOIN pack_claims p ON p.campaign_id = c.id GROUP BY c.id
        HAVING c.issued_fen > c.budget_fen OR c.issued_fen <> coalesce(sum(p.face_value_fen), 0)""",
    "two claims by one consumer in one batch": """
        SELECT batch_id, consumer_id, count(*) FROM pack_claims
        GROUP BY batch_id, consumer_id HAVING count(*) > 1""",
    "stock oversold": """
        SELECT store_id, product_id, on_hand, reserved FROM store_stock
        WHERE reserved < 0 OR on_hand < 0""",
    "orders without exactly one idempotency key": """
        SELECT o.id, count(k.id) FROM orders o LEFT JOIN idempotency_keys k ON k.order_id = o.id
        GROUP BY o.id HAVING count(k.id) <> 1""",
    "coupons redeemed by two live orders": """
        SELECT coupon_id, count(*) FROM orders WHERE coupon_id IS NOT NULL
        AND status <> 'CANCELLED' GROUP BY coupon_id HAVING count(*) > 1""",
    "a state reached twice": f"""
        SELECT order_id, to_status, count(*) FROM order_events
        WHERE to_status IN ({", ".join(f"'{s}'" for s in ONCE)})
        GROUP BY order_id, to_status HAVING count(*) > 1""",
    "money moved twice": """
        SELECT order_id, kind, count(*) FROM ledger_entries WHERE kind IN ('charge', 'refund',
        'compensation') GROUP BY order_id, kind HAVING count(*) > 1""",
    "refunds not settled or failed": """
        SELECT id, order_id, status, failure FROM refunds WHERE status <> 'SUCCEEDED'""",
    "refunds asked twice for one order": """
        SELECT order_id, count(*) FROM refunds GROUP BY order_id HAVING count(*) > 1""",
    "charges not matching refunds of cancelled orders": """
        SELECT o.id, sum(CASE WHEN l.kind = 'charge' THEN l.amount_fen ELSE -l.amount_fen END)
        FROM orders o JOIN ledger_entries l ON l.order_id = o.id AND l.kind IN ('charge', 'refund')
        WHERE o.status = 'CANCELLED'
        GROUP BY o.id HAVING sum(CASE WHEN l.kind = 'charge' THEN l.amount_fen
                                      ELSE -l.amount_fen END) <> 0""",
    "two deliveries for one order": """
        SELECT order_id, count(*) FROM deliveries GROUP BY order_id HAVING count(*) > 1""",
    "two compensation coupons for one delivery": """
        SELECT d.id FROM deliveries d JOIN coupons c ON c.id = d.compensation_coupon_id
        GROUP BY d.id HAVING count(*) > 1""",
}

COUNTS = {
    "orders": "SELECT count(*) FROM orders",
    "claims": "SELECT count(*) FROM pack_claims",
    "cancels": "SELECT count(*) FROM orders WHERE status = 'CANCELLED'",
    "paid": "SELECT count(*) FROM payments WHERE status = 'PAID'",
    "refunds": "SELECT count(*) FROM ledger_entries WHERE kind = 'refund'",
    "delivered": "SELECT count(*) FROM orders WHERE status = 'DELIVERED'",
    "offers": "SELECT count(*) FROM deliveries WHERE offered_at IS NOT NULL",
    "compensation_coupons": "SELECT count(compensation_coupon_id) FROM deliveries",
    "auto_ready_events": "SELECT count(*) FROM order_events WHERE to_status = 'READY' "
    "AND actor_role <> 'store'",
    "closes": "SELECT count(*) FROM deliveries WHERE closed_at IS NOT NULL",
}
