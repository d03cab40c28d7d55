"""Search finds what people type: category names and generic words from fixtures/, several
words meaning all of them, and an empty answer that says why it is empty."""

import json
import random

import pytest
from sqlalchemy import select

from service.catalog.models import Product
from service.catalog.search import matching_every_word
from service.seed.files import fixtures_dir
from tests.support.factories import TEST_CENTRE, make_city, make_store

TERMS = {
    code: entry
    for code, entry in json.loads((fixtures_dir() / "search_terms.json").read_text()).items()
    if not code.startswith("_")
}
WUYI_SQUARE = {"lat": 28.195, "lon": 112.976}  # central Changsha, where every kind is sold


def _sample(category: str) -> list[str]:
    """The category's names and a sample of its generic words (a fixed seed: reproducible,
    and not a hand-picked list)."""
    words = sorted(TERMS[category]["words"])
    return [*TERMS[category]["names"], *random.Random(category).sample(words, min(4, len(words)))]


@pytest.mark.parametrize("category", sorted(TERMS))
def test_every_category_name_and_a_sample_of_its_words_find_products_of_that_kind(
    session, category
):
    for word in _sample(category):
        found = matching_every_word(session, q=word, category=None)
        kinds = {row.category for row in found}
        assert category in kinds, f"{word!r} finds no {category} product"


@pytest.fixture
def here(session) -> dict:
    """A 24 h store 1 km away selling a phone, water, tissues, milk and a bakery item."""
    stock = {
        sku: (10, 1000) for sku in ("PHO-0001", "SUP-0004", "SUP-0006", "SUP-0003", "BAK-0001")
    }
    make_store(session, make_city(session), 1.0, stock=stock)
    session.commit()
    return {"lat": TEST_CENTRE[0], "lon": TEST_CENTRE[1]}


def test_typed_words_find_deliverable_products_through_the_api(client, here):
    for q, category in (
        ("手机", "phones_digital"),
        ("矿泉水", "supermarket"),
        ("纸巾", "supermarket"),
        ("牛奶", "supermarket"),
    ):
        answer = client.get("/v1/products/search", query_string={**here, "q": q})
        assert answer.status_code == 200, answer.json
        hits = answer.json["results"]
        assert hits and {h["product"]["category"] for h in hits} == {category}, q
        assert answer.json["empty_reason"] is None


def test_several_words_mean_all_of_them(client, session, here):
    answer = client.get("/v1/products/search", query_string={**here, "q": "伊利 牛奶"})
    assert [h["product"]["name"] for h in answer.json["results"]] == ["伊利纯牛奶 250ml×24"]
    both = matching_every_word(session, q="华为 手表", category=None)
    assert [row.name for row in both] == ["华为 Watch GT 4"]
    assert matching_every_word(session, q="伊利 手机", category=None) == []


def test_the_empty_answer_says_whether_nothing_matched_or_nothing_is_deliverable(client, session):
    nothing = client.get(
        "/v1/products/search", query_string={**WUYI_SQUARE, "q": "不存在的商品名"}
    ).json
    assert (nothing["results"], nothing["empty_reason"]) == ([], "no_match")
    test_city = make_city(session)
    make_store(session, test_city, 30.0)  # far beyond any delivery radius
    session.commit()
    here = {"lat": TEST_CENTRE[0], "lon": TEST_CENTRE[1]}
    far = client.get("/v1/products/search", query_string={**here, "q": "牛奶"}).json
    assert (far["results"], far["empty_reason"]) == ([], "not_deliverable")
    outside = client.get("/v1/products/search", query_string={"lat": 0.5, "lon": 0.5, "q": "牛奶"})
    assert outside.status_code == 422
    assert outside.json["error"]["code"] == "outside_service_area"


def test_keywords_are_indexed_with_the_name(session):
    milk = session.execute(select(Product).where(Product.name.like("伊利%"))).scalar_one()
    assert {"超市", "奶制品"} <= set(milk.keywords.split())
    # Three characters and more go through the trigram index (FTS5 / pg_trgm), keywords too.
    assert milk.id in {row.id for row in matching_every_word(session, q="奶制品", category=None)}
