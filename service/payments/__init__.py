"""Payments: money collected and returned through providers, and reconciled each day."""
