"""Every code the API can answer with, by group, each with its sentence in English: statuses,
event kinds, reasons and error codes. The pages translate each code (zh-CN first) by its group
and code; GET /v1/messages serves this catalogue, and tests/test_messages.py checks that every
code the service can emit is listed here.
"""

from types import MappingProxyType

ORDER_STATUS = {
    "AWAITING_PAYMENT": "Waiting for payment",
    "PLACED": "Placed, waiting for the store to accept",
    "ACCEPTED": "Accepted: the store is picking the goods",
    "READY": "Packed and ready for the courier",
    "PICKED_UP": "On its way with the courier",
    "DELIVERED": "Delivered",
    "CANCELLED": "Cancelled",
}
DELIVERY_STATUS = {
    "WAITING": "Looking for a courier",
    "OFFERED": "Offered to a courier",
    "ASSIGNED": "A courier is on the way to the store",
    "AT_STORE": "The courier is at the store",
    "PICKED_UP": "The courier has the goods",
    "DELIVERED": "Delivered",
    "FAILED": "The delivery failed",
    "CANCELLED": "Cancelled",
}
EVENT_KIND = {
    "awaiting_payment": "Order created, waiting for payment",
    "placed": "Order placed",
    "accepted": "The store accepted the order",
    "ready": "The goods are packed",
    "picked_up": "The courier picked up the goods",
    "delivered": "Delivered",
    "cancelled": "Order cancelled",
    "reassigned": "Passed to another store",
    "reassigned_away": "Passed on to another store",
    "rematch_failed": "No other store could take the order",
    "short_picked": "Some items were out of stock; their price is refunded",
    "courier_assigned": "A courier took the order",
    "courier_arrived": "The courier arrived at the store",
    "delivery_failed": "The delivery failed",
    "redelivery": "The delivery will be tried again",
    "compensated": "Late delivery: a compensation coupon was issued",
    "compensation_refused": "Late delivery: no compensation coupon could be issued",
}
CANCEL_REASON = {
    "consumer": "Cancelled by you",
    "no_store": "No store could take the order",
    "short_picked": "None of the items were in stock",
    "delivery_failed": "The delivery failed and was refunded",
    "unpaid": "Not paid in time",
}
# The reason a store passed an order on (`reassigned` events: "timeout" or "rejected:<reason>").
REASSIGN_REASON = {
    "timeout": "The store did not accept in time",
    "rejected:out_of_stock": "The store was out of stock",
    "rejected:closing": "The store was closing",
    "rejected:too_busy": "The store was too busy",
    "rejected:other": "The store could not take the order",
    "prep_time_elapsed": "Ready after the store's preparation time",
}
REJECT_REASON = {
    "out_of_stock": "Out of stock",
    "closing": "Closing",
    "too_busy": "Too busy",
    "other": "Other",
}
# Why no store could take an order (409 no_store_available `reasons`, city report refusals).
REFUSAL_REASON = {
    "paused": "The store is paused",
    "disconnected": "The store's tablet is offline",
    "stale_stock": "The store's stock is out of date",
    "closed": "The store is closed",
    "out_of_radius": "Too far from the store",
    "below_min_basket": "Below the store's minimum order",
    "at_capacity": "The store has too many open orders",
    "not_in_campaign": "The store does not take this coupon",
    "too_late": "Cannot arrive within the hour",
    "out_of_stock": "Not enough stock",
    "no_stores": "No stores in this city",
}
SEARCH_EMPTY = {
    "no_match": "No product matches your words",
    "not_deliverable": "Products match, but none can be delivered here within the hour",
    "outside_service_area": "This place is outside the service area",
}
STORE_FLAG = {
    "missed_deadlines": "Paused after missing several acceptance deadlines",
}
ROLE = {
    "consumer": "Consumer",
    "store": "Store",
    "courier": "Courier",
    "operator": "Operator",
    "system": "System",
}
ERROR_CODE = {
    # Generic, by HTTP status
    "bad_request": "The request could not be read.",
    "malformed_json": "The request body is not valid JSON.",
    "unsupported_media_type": "Send the request body as JSON.",
    "unauthenticated": "Please sign in again.",
    "token_expired": "Your sign-in has expired; please sign in again.",
    "forbidden": "You may not do this.",
    "not_found": "It does not exist, or you may not see it.",
    "method_not_allowed": "This action is not available here.",
    "payload_too_large": "The request is too large.",
    "gone": "This is no longer available.",
    "conflict": "It changed meanwhile; reload and try again.",
    "invalid": "A value is not acceptable.",
    "validation_error": "A field is missing or has a wrong value.",
    "unprocessable": "The request cannot be served.",
    "rate_limited": "Too many attempts; wait a moment and try again.",
    "try_again": "The service is busy; try again.",
    "feed_full": "This server holds as many tablets as it can; the tablet polls again shortly.",
    "internal": "Something went wrong on our side; it has been logged.",
    "http_error": "The request failed.",
    "error": "The request failed.",
    # Places and search
    "outside_service_area": "This place is outside the service area.",
    "outside_city": "This place is outside the campaign's city.",
    "query_required": "Type something to search for, or pick a category.",
    "invalid_cursor": "The list changed; start again from the top.",
    "invalid_range": "The date range is not valid.",
    # Orders
    "missing_idempotency_key": "The order request lacks its Idempotency-Key.",
    "idempotency_key_reused": "This order key was already used for another order.",
    "unknown_sku": "A product is not in the catalogue.",
    "not_stocked": "A product is not sold at this store.",
    "no_store_available": "No store can deliver this order here within the hour.",
    "price_changed": "The price changed; check the new total.",
    "invalid_transition": "The order can no longer do that in its current state.",
    "not_ready": "The goods are not packed yet.",
    # Coupons and campaigns
    "coupon_unavailable": "This coupon cannot be used.",
    "coupon_not_applicable": "This coupon does not apply to this order.",
    "coupon_not_redeemed": "This coupon was not used on this order.",
    "window_closed": "No batch is open for claims now.",
    "not_started": "The next batch has not opened yet.",
    "sold_out": "This batch is sold out.",
    "budget_exhausted": "The campaign's budget is used up.",
    "already_claimed": "You have already claimed this batch's pack.",
    "pack_changed": "The pack changed while you claimed; claim again.",
    "pack_frozen": "The pack cannot change after the first claim.",
    "paused": "It is paused.",
    "duplicate": "It already exists.",
    "duplicate_name": "The name is already taken.",
    # Couriers and deliveries
    "not_a_courier": "This token does not belong to a courier.",
    "offer_expired": "The offer has expired.",
    "wrong_code": "Wrong hand-off code.",
    "delivery_locked": "Too many wrong codes: the delivery is locked until an operator unlocks it.",
    "code_refused": "The code was not accepted.",
    "not_locked": "The delivery is not locked.",
    "refund_exceeds_paid": "A refund cannot be more than what was paid less what was refunded.",
    # Payments
    "too_many_unpaid_orders": "You have unpaid orders: pay or cancel them before placing another.",
    "payment_closed": "This payment is closed; it can no longer be paid.",
    "payment_method_unavailable": "This payment method is not available in this city.",
    "statement_unavailable": "The provider's statement is not available yet; try again later.",
    # Tracking links
    "share_unknown": "There is no such tracking link.",
    "share_expired": "This tracking link has expired: its order ended more than 3 hours ago.",
    # Sign-in
    "sign_in_refused": "The sign-in details are not right.",
    "phone_not_verified": "Verify your mobile number first.",
    "account_disabled": "This account is disabled.",
    "pairing_refused": "The pairing code is not valid.",
    "totp_required": "Enter the code from your authenticator app.",
    "totp_refused": "The authenticator code is not right.",
    "totp_session_required": "Sign in with your authenticator code first.",
    "sms_unavailable": "The text message could not be sent; try again shortly.",
    "unavailable": "A service we depend on is not answering; try again shortly.",
}

CATALOGUE = MappingProxyType(
    {
        "order_status": ORDER_STATUS,
        "delivery_status": DELIVERY_STATUS,
        "event_kind": EVENT_KIND,
        "cancel_reason": CANCEL_REASON,
        "reassign_reason": REASSIGN_REASON,
        "reject_reason": REJECT_REASON,
        "refusal_reason": REFUSAL_REASON,
        "search_empty": SEARCH_EMPTY,
        "store_flag": STORE_FLAG,
        "role": ROLE,
        "error_code": ERROR_CODE,
    }
)


def catalogue() -> dict[str, dict[str, str]]:
    """Every group of codes with its English sentences (a copy)."""
    return {group: dict(codes) for group, codes in CATALOGUE.items()}
