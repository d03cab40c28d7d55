"""The one message catalogue: every status, event, refusal and page sentence the scripts show.

The English source of each message lives in messages.json under its key ("<group>.<code>" for
the API's codes, "<page>.<name>" for page sentences); translations live in the gettext catalogue
of each locale, the key as the message's context. Pages embed page_messages() for their locale.
"""

import functools
import json
from pathlib import Path

from flask_babel import get_locale, pgettext

SOURCE = Path(__file__).resolve().parent / "messages.json"
CATEGORIES = (
    "supermarket",
    "phones_digital",
    "appliances",
    "beauty",
    "mother_baby",
    "apparel_sports",
    "liquor",
    "restaurant",
    "bakery",
    "pharmacy",
)


@functools.cache
def source() -> dict[str, str]:
    """Every message key and its English source text."""
    return json.loads(SOURCE.read_text(encoding="utf-8"))


def page_messages() -> dict[str, str]:
    """The whole catalogue in the request's locale, for a page's scripts."""
    return _translated(str(get_locale()))


def category_names() -> dict[str, str]:
    """Product category codes in the request's words."""
    messages = page_messages()
    return {code: messages[f"category.{code}"] for code in CATEGORIES}


@functools.lru_cache(maxsize=8)
def _translated(locale: str) -> dict[str, str]:
    # Per locale once per process: the catalogue only changes with a deploy.
    return {key: pgettext(key, text) for key, text in source().items()}
