"""Imports every table module, so SQLModel.metadata (and Alembic) sees the whole schema."""

from service.audit.models import AuditEvent
from service.auth.models import ApiToken, AuthSession, PairingCode, PhoneCode
from service.campaigns.models import (
    Batch,
    Campaign,
    CampaignStore,
    Coupon,
    CouponEvent,
    CouponTemplate,
    PackClaim,
    Promotion,
)
from service.catalog.models import Product, StoreStock
from service.cities.models import City
from service.deliveries.models import CourierLocation, Delivery
from service.orders.models import (
    IdempotencyKey,
    LedgerEntry,
    MatchingRefusal,
    Order,
    OrderEvent,
    OrderLine,
)
from service.payments.models import Payment, Reconciliation, ReconciliationLine, Refund
from service.people.models import Consumer, Courier, Operator
from service.places.models import Place
from service.stores.models import Store
from service.sync.models import SyncRun

__all__ = [
    "ApiToken",
    "AuditEvent",
    "AuthSession",
    "Batch",
    "Campaign",
    "CampaignStore",
    "City",
    "Consumer",
    "Coupon",
    "CouponEvent",
    "CouponTemplate",
    "Courier",
    "CourierLocation",
    "Delivery",
    "IdempotencyKey",
    "LedgerEntry",
    "MatchingRefusal",
    "Operator",
    "Order",
    "OrderEvent",
    "OrderLine",
    "PackClaim",
    "PairingCode",
    "Payment",
    "PhoneCode",
    "Place",
    "Product",
    "Promotion",
    "Reconciliation",
    "ReconciliationLine",
    "Refund",
    "Store",
    "StoreStock",
    "SyncRun",
]
