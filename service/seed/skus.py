"""SKU codes of the seed catalogue: `<PREFIX>-<nnnn>`, nnnn the product's place in its category.

PREFIX is the category's first three letters, upper-cased, unless PREFIXES names another: for
categories whose first letters collide (`appliances` and `apparel_sports` both start "APP").
Every other category keeps its code (SUP-0001, PHO-0001, ...: sample feeds and tests use them).
A catalogue whose codes would still collide is refused whole, never merged.
"""

from service.errors import InvalidInput

PREFIXES = {"appliances": "APL", "apparel_sports": "APS"}


class CatalogError(InvalidInput):
    """The catalogue cannot be loaded as it is."""


def sku_codes(catalog: dict[str, list]) -> dict[str, list[str]]:
    """The SKU code of every product, by category, in catalogue order; refuses collisions."""
    owners: dict[str, str] = {}
    for category in catalog:
        prefix = PREFIXES.get(category, category[:3].upper())
        if prefix in owners:
            raise CatalogError(
                f"categories {owners[prefix]} and {category} would share the "
                f"SKU prefix {prefix}; give one its own in PREFIXES"
            )
        owners[prefix] = category
    return {
        category: [
            f"{PREFIXES.get(category, category[:3].upper())}-{n:04d}"
            for n in range(1, len(items) + 1)
        ]
        for category, items in catalog.items()
    }
