"""The pages' language: Flask-Babel for the templates, one message catalogue for their scripts.

Simplified Chinese is the default; English is the second locale, chosen by `?lang=en` (kept in
a cookie) or by the browser's Accept-Language. The scripts read the same catalogue, translated
for the request's locale and embedded in the page (`window.HD_MSG`).
"""

from pathlib import Path

from flask import Flask, request
from flask_babel import Babel, get_locale

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
CITY_ZONE = "Asia/Shanghai"  # every seed city's zone; stores and cities carry their own
COOKIE = "hd_lang"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def select_locale() -> str:
    """?lang= first, then the cookie it set, then Accept-Language; zh_CN when nothing fits."""
    for chosen in (request.args.get("lang"), request.cookies.get(COOKIE)):
        if chosen in LOCALES:
            return chosen
    best = request.accept_languages.best_match(["zh-CN", "zh", "en"])
    return "en" if best == "en" else DEFAULT_LOCALE


def install(app: Flask) -> None:
    """Set up Flask-Babel and the template globals every page uses (catalogue, locale)."""
    app.config.update(
        BABEL_DEFAULT_LOCALE=DEFAULT_LOCALE,
        BABEL_DEFAULT_TIMEZONE=CITY_ZONE,
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS),
    )
    Babel(app, locale_selector=select_locale)

    @app.context_processor
    def _page_language():
        from service.i18n.catalogue import page_messages

        chinese = get_locale().language == "zh"
        return {
            "hd_locale": DEFAULT_LOCALE if chinese else "en",
            "hd_lang": "zh-CN" if chinese else "en",
            "hd_messages": page_messages(),
            "hd_zone": CITY_ZONE,
        }

    @app.after_request
    def _remember_choice(response):
        chosen = request.args.get("lang")
        if chosen in LOCALES and request.cookies.get(COOKIE) != chosen:
            response.set_cookie(COOKIE, chosen, max_age=365 * 86400, samesite="Lax")
        return response
