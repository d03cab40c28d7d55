"""The shop page's demo sign-in exists only in demo mode (the walk itself: test_story_shop.py)."""

import requests


def test_demo_sign_in_is_404_outside_demo_mode(live_server):
    server = live_server()
    assert requests.get(server.url + "/v1/demo/consumers", timeout=10).status_code == 404
    assert requests.post(server.url + "/v1/demo/consumers/1/token", timeout=10).status_code == 404
    assert "{demo: false}" in requests.get(server.url + "/", timeout=10).text
