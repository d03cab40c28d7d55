"""The service keeps no Flask cookie session: callers sign in with bearer tokens."""


def test_answers_carry_no_session_cookie_only_the_chosen_language(client):
    assert "Set-Cookie" not in client.get("/v1/_ping").headers
    cookies = client.get("/?lang=en").headers.getlist("Set-Cookie")
    assert [c.split("=", 1)[0] for c in cookies] == ["hd_lang"]
