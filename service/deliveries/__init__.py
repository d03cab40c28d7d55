"""Couriers and deliveries: dispatch, courier actions, live location, tracking, the hour promise."""
