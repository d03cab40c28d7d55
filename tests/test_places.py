"""The gazetteer: a place found by name is a point to deliver to; a point has a name."""

import json

from service.seed.files import fixtures_dir

GAZETTEER = {
    code: entry
    for code, entry in json.loads((fixtures_dir() / "places.json").read_text()).items()
    if not code.startswith("_")
}
CITIES = {c["code"]: c for c in json.loads((fixtures_dir() / "cities.json").read_text())}


def test_every_city_has_its_districts_and_twenty_streets_or_landmarks():
    assert set(GAZETTEER) == set(CITIES)
    for code, entry in GAZETTEER.items():
        assert len(entry["places"]) >= 20, code
        assert entry["districts"], code
        for name, kind, district, lat, lon in entry["places"]:
            assert kind in ("street", "landmark") and name and district
            centre = CITIES[code]["center"]
            assert abs(lat - centre[0]) < 0.5 and abs(lon - centre[1]) < 0.5, (code, name)


def test_a_place_found_by_name_comes_with_its_point_and_city(client):
    answer = client.get("/v1/places/search", query_string={"q": "五一广场"})
    assert answer.status_code == 200, answer.json
    cities = {(p["city_code"], p["name"]) for p in answer.json["items"]}
    assert ("changsha", "五一广场") in cities and ("taiyuan", "五一广场") in cities
    changsha = client.get("/v1/places/search", query_string={"q": "五一广场", "city": "changsha"})
    (place,) = changsha.json["items"]
    assert (place["kind"], place["district"]) == ("landmark", "芙蓉区")
    assert abs(place["lat"] - 28.195) < 0.01 and abs(place["lon"] - 112.976) < 0.01


def test_every_district_is_found_by_its_name_and_words_narrow_the_search(client):
    for code, entry in GAZETTEER.items():
        for name, *_ in entry["districts"]:
            items = client.get("/v1/places/search", query_string={"q": name, "city": code}).json
            assert items["items"][0]["name"] == name, (code, name)
    both = client.get("/v1/places/search", query_string={"q": "岳麓 湖南大学"}).json["items"]
    assert [p["name"] for p in both] == ["湖南大学"]
    assert client.get("/v1/places/search", query_string={"q": "没有这个地方"}).json == {"items": []}


def test_a_point_is_shown_by_the_name_of_the_nearest_place(client):
    near = client.get("/v1/places/nearest", query_string={"lat": 28.1955, "lon": 112.9765})
    assert near.json["city_code"] == "changsha" and near.json["place"]["name"] == "五一广场"
    outside = client.get("/v1/places/nearest", query_string={"lat": 0.5, "lon": 0.5})
    assert outside.status_code == 422
    assert outside.json["error"]["code"] == "outside_service_area"


def test_a_blank_place_query_is_refused_with_a_field_error(client):
    answer = client.get("/v1/places/search", query_string={"q": ""})
    assert answer.status_code == 422 and answer.json["error"]["field"] == "q"
