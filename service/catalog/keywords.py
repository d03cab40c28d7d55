"""The words a shopper types for a product that its name may not hold: its category's names
and the generic words of its kind (手机 for a 小米14, 矿泉水 for 农夫山泉), from a per-category
table (fixtures/search_terms.json). Stored in products.keywords and indexed with the name."""

from typing import Any


def keywords_for(
    terms: dict[str, Any], *, category: str, name: str, brand: str = "", spec: str = ""
) -> str:
    """The product's keywords: its category's names, then each generic word of the category
    one of whose cues appears in its name, brand or spec (a word without cues: every product)."""
    entry = terms.get(category) or {}
    text = f"{name} {brand} {spec}".casefold()
    words = list(entry.get("names", ()))
    for word, cues in entry.get("words", {}).items():
        if not cues or any(cue.casefold() in text for cue in cues):
            words.append(word)
    return " ".join(dict.fromkeys(w for w in words if w.casefold() not in text.split()))


def category_names(terms: dict[str, Any]) -> dict[str, list[str]]:
    """category code -> its Chinese names (the first is the one pages show)."""
    return {code: list(entry["names"]) for code, entry in terms.items() if code[0] != "_"}
