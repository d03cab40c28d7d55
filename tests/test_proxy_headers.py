"""The client's address comes from X-Forwarded-For only when a proxy in front is configured."""

import json

from service.app import create_app
from service.config import Settings

FORWARDED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}


def logged_client(db, clock, capsys, hops: int) -> str:
    settings = Settings(database_url="sqlite://", secret_key="test", proxy_hops=hops)
    client = create_app(settings, clock=clock, database=db).test_client()
    capsys.readouterr()
    client.get("/v1/_ping", headers=FORWARDED, environ_base={"REMOTE_ADDR": "10.0.0.5"})
    lines = [json.loads(x) for x in capsys.readouterr().err.splitlines() if x.startswith("{")]
    return next(line for line in lines if line.get("event") == "request")["client"]


def test_without_a_proxy_setting_a_forged_forwarded_address_is_ignored(db, clock, capsys):
    assert logged_client(db, clock, capsys, hops=0) == "10.0.0.5"


def test_behind_one_proxy_the_address_it_forwarded_is_the_clients(db, clock, capsys):
    assert logged_client(db, clock, capsys, hops=1) == "203.0.113.9"
