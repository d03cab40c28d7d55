"""Hour-delivery fulfilment service: city coupon campaigns spent on one-hour store deliveries."""

from service.app import create_app

__all__ = ["create_app"]
