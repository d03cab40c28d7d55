"""Catalogue SKUs and each store's stock of them."""
