"""/openapi.json tells the truth: security, every error status with its schema, headers read."""

import pytest

PUBLIC = {
    ("get", "/v1/_ping"),
    ("get", "/healthz"),
    ("get", "/openapi.json"),
    ("get", "/v1/messages"),
    ("get", "/v1/stores/nearby"),
    ("get", "/v1/stores/{store_id}"),
    ("get", "/v1/stores/{store_id}/products"),
    ("get", "/v1/products/search"),
    ("get", "/v1/campaigns/upcoming"),
    ("get", "/v1/places/search"),
    ("get", "/v1/places/nearest"),
    ("get", "/v1/tracking/{share}"),
    # pages (each signs in on the page itself), the favicon, and a share link's page
    ("get", "/"),
    ("get", "/store"),
    ("get", "/courier"),
    ("get", "/admin"),
    ("get", "/admin/payments"),
    ("get", "/favicon.ico"),
    ("get", "/track/{share}"),
    ("get", "/track/"),
    # payments (issue 22): providers' signed notifications, the sandbox's cashier (demo and tests)
    ("post", "/v1/payments/notify/{kind}"),
    ("get", "/pay/sandbox/{account}/{out_trade_no}"),
    ("post", "/pay/sandbox/{account}/{out_trade_no}"),
    # demo mode only (404 otherwise): one-click sign-in as a seed consumer
    ("get", "/v1/demo/consumers"),
    ("post", "/v1/demo/consumers/{consumer_id}/token"),
    # sign-in (issue 23): what a caller without a session uses to get one
    ("post", "/v1/auth/code"),
    ("post", "/v1/auth/sign-in"),
    ("post", "/v1/auth/refresh"),
    ("post", "/v1/auth/operator/sign-in"),
    ("post", "/v1/auth/pair"),
}
# The owner's bearer token, or none with the tracking link's share token.
TOKEN_OR_LINK = {("get", "/v1/orders/{order_id}/tracking")}
ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
# Pages answer their errors as pages (a share link that is no link: the tracking page saying so).
PAGES = {"/track/{share}", "/track/"}
HTML_BODY = {"text/html": {"schema": {"type": "string"}}}


@pytest.fixture
def document(client):
    return client.get("/openapi.json").json


def operations(document):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


def test_public_routes_declare_no_security_and_the_rest_the_bearer_scheme(document):
    for method, path, operation in operations(document):
        expected = [] if (method, path) in PUBLIC else [{"bearer": []}]
        if (method, path) in TOKEN_OR_LINK:
            expected = [{"bearer": []}, {}]
        assert operation["security"] == expected, (method, path)
        if expected:
            assert "401" in operation["responses"], (method, path)


def test_every_error_status_carries_the_error_schema(document):
    for method, path, operation in operations(document):
        statuses = set(operation["responses"])
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                expected = HTML_BODY if path in PAGES else ERROR_BODY
                assert response["content"] == expected, (method, path, status)
        if "requestBody" in operation:
            assert {"400", "413", "415", "422"} <= statuses, (method, path)
        if "{" in path:
            assert "404" in statuses, (method, path)


def test_placing_an_order_documents_its_idempotency_key_header(document):
    parameters = document["paths"]["/v1/orders"]["post"]["parameters"]
    (key,) = [p for p in parameters if p["name"] == "Idempotency-Key"]
    assert key["in"] == "header" and key["required"] is True
