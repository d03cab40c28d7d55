"""Health, ping and the OpenAPI document."""


def test_ping_answers_constant_json_without_database_or_auth(client):
    response = client.get("/v1/_ping")
    assert response.status_code == 200
    assert response.json == {"pong": True}


def test_healthz_checks_the_database(client, engine_under_test):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["database"] == engine_under_test.dialect.name


def test_openapi_document_describes_every_route_with_models(client):
    document = client.get("/openapi.json").json
    assert document["openapi"].startswith("3.")
    assert {"/v1/stores/nearby", "/v1/me", "/healthz", "/v1/_ping"} <= set(document["paths"])
    nearby = document["paths"]["/v1/stores/nearby"]["get"]
    params = {p["name"]: p for p in nearby["parameters"]}
    assert params["lat"]["required"] and params["lat"]["schema"]["maximum"] == 90
    assert "NearbyStoresRead" in document["components"]["schemas"]
    assert document["paths"]["/v1/me"]["get"]["security"] == [{"bearer": []}]
