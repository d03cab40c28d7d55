"""The pages' words: zh-CN by default, English on request, one catalogue complete in Chinese."""

import re

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from service.i18n import TRANSLATIONS
from service.i18n.catalogue import source
from tests.test_messages import NOT_EVENTS

PAGES = ("/", "/store", "/courier", "/admin", "/admin/payments", "/track/" + "x" * 43)
ZH_PO = TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po"
STATIC = TRANSLATIONS.parents[1] / "static"
CJK = re.compile(r"[\u4e00-\u9fff]")


def zh_catalog():
    with ZH_PO.open("rb") as po:
        return read_po(po, locale="zh")


def shown_text(html: str) -> str:
    """The page's text without scripts, styles and tags (attributes are not text)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_every_message_of_the_catalogue_has_a_chinese_sentence():
    catalog = zh_catalog()
    translated = {key: catalog.get(english, context=key) for key, english in source().items()}
    assert not [key for key, message in translated.items() if not (message and message.string)]
    untranslated = [
        key
        for key, english in source().items()
        if re.search("[A-Za-z]{3,}", english) and not CJK.search(translated[key].string)
    ]
    assert not untranslated


def test_every_template_sentence_has_a_chinese_translation():
    catalog = zh_catalog()
    found = {
        m[2]
        for m in extract_from_dir(
            TRANSLATIONS.parents[1] / "templates", method_map=[("**.html", "jinja2")]
        )
    }
    assert found and not [m for m in found if not (catalog.get(m) and catalog.get(m).string)]


def test_the_compiled_catalogue_is_the_po_file():
    with (ZH_PO.with_suffix(".mo")).open("rb") as mo:
        compiled = {(m.context, m.id): m.string for m in read_mo(mo) if m.id}
    written = {(m.context, m.id): m.string for m in zh_catalog() if m.id}
    assert compiled == written, "run `make messages` after editing messages.po"


@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_chinese_by_default_and_english_on_request(client, path):
    chinese = client.get(path, headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert chinese.status_code == 200 and '<html lang="zh-CN">' in chinese.text
    assert not re.findall(r"\b(?!EN\b)[A-Za-z]{3,}", shown_text(chinese.text))
    english = client.get(path, headers={"Accept-Language": "en-GB,en;q=0.9"})
    places = re.sub(r"<(option|optgroup)\b[^>]*>[^<]*", " ", english.text)  # names of places
    assert '<html lang="en">' in english.text
    assert not CJK.search(shown_text(places).replace("中文", ""))


@pytest.mark.parametrize("script", ["signin.js", "accounts.js"])
def test_the_sign_in_and_accounts_scripts_take_their_words_from_the_catalogue(script):
    text = (STATIC / script).read_text(encoding="utf-8")
    assert not CJK.search(text), f"{script} writes Chinese itself: add the words to the catalogue"
    used = set(re.findall(r'HD\.t\("((?:signin|accounts)\.[\w.]*\w)"', text))
    assert used and not used - set(source())


def test_the_language_switch_is_remembered(client):
    assert '<html lang="en">' in client.get("/?lang=en").text
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "zh-CN"}).text
    assert '<html lang="zh-CN">' in client.get("/?lang=zh_CN").text


def test_the_pages_read_the_catalogue_in_their_language(client):
    assert '"order_status.PLACED": "已下单，等待门店接单"' in client.get("/").text
    english = client.get("/", headers={"Accept-Language": "en"}).text
    assert '"order_status.PLACED": "Placed, waiting for the store to accept"' in english


def test_a_link_that_cannot_be_a_share_token_gets_the_tracking_page_not_json(client):
    response = client.get("/track/not-a-token")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "订单跟踪" in response.text and "window.TRACK_SHARE = null" in response.text


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.data[:4] == b"\x00\x00\x01\x00"


def emitted(pattern: str) -> set[str]:
    """Every string the service's code passes as `pattern` (code=, kind=, ...)."""
    root = TRANSLATIONS.parents[1]
    found = set()
    for path in root.rglob("*.py"):
        found |= set(re.findall(pattern + r'="([a-z_]+)"', path.read_text(encoding="utf-8")))
    return found


def test_every_error_code_and_event_the_service_emits_has_words():
    keys = source()
    assert emitted("code") and not [c for c in emitted("code") if f"error_code.{c}" not in keys]
    events = emitted("kind") - NOT_EVENTS
    assert not [k for k in events if f"event_kind.{k}" not in keys]
    from service.orders import states
    from service.orders.explain import REASONS

    assert not [s for s in states.TRANSITIONS if f"order_status.{s}" not in keys]
    assert not [r for r in REASONS if f"refusal.{r}" not in keys]


def test_every_code_of_the_api_catalogue_has_a_chinese_sentence():
    from service.web.messages import catalogue

    groups = {"refusal_reason": "refusal", "role": "actor_role"}  # the pages' group names
    keys = source()
    missing = [
        f"{group}.{code}"
        for group, codes in catalogue().items()
        for code in codes
        if f"{groups.get(group, group)}.{code}" not in keys
    ]
    assert not missing
