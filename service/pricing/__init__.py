"""Pricing: one pure engine (no database) used by quotes and orders alike."""
