"""Ports to the stores' own stock systems: one module per kind, all behind StockAdapter.

This package never imports `service`: adapters return plain dataclasses, and the sync in the
service decides what to write. Kinds are found through entry points (see base.py).
"""

from store_adapters.base import FeedError, StockAdapter, StockRow, StockSnapshot, adapter_for

__all__ = ["FeedError", "StockAdapter", "StockRow", "StockSnapshot", "adapter_for"]
