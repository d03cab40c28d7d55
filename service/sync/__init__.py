"""Inventory sync runs: each store's stock read through its store adapter."""
