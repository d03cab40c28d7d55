"""Process caches: loaded once, read once per access, safe when an entry expires meanwhile."""

from cachetools import TTLCache

from service import caches


def test_get_or_load_loads_once_and_then_serves_from_memory():
    cache = caches.ttl_cache(maxsize=4, ttl=60)
    loads = []
    for _ in range(3):
        value = caches.get_or_load(cache, "k", lambda: loads.append(1) or "v")
    assert (value, len(loads)) == ("v", 1)
    caches.clear_all()
    caches.get_or_load(cache, "k", lambda: loads.append(1) or "v")
    assert len(loads) == 2


def test_an_entry_expiring_between_lookups_is_reloaded_not_a_key_error():
    now = [0.0]
    cache = caches._register(TTLCache(maxsize=4, ttl=10, timer=lambda: now[0]))
    caches.get_or_load(cache, "k", lambda: "old")
    now[0] = 10.0001  # expired
    assert caches.get_or_load(cache, "k", lambda: "new") == "new"


def test_the_caller_ttl_comes_from_hd_caller_ttl_s_and_defaults_to_thirty_seconds(
    monkeypatch, tmp_path
):
    from service import create_app
    from service.auth import service
    from service.config import Settings

    url = f"sqlite:///{tmp_path / 'ttl.sqlite3'}"
    assert Settings.from_env(tmp_path).caller_ttl_s == service.CALLER_TTL_S == 30.0
    monkeypatch.setenv("HD_CALLER_TTL_S", "3")
    assert Settings.from_env(tmp_path).caller_ttl_s == 3.0
    create_app(Settings(url, caller_ttl_s=3.0))
    assert service.caller_ttl_s() == 3.0
    create_app(Settings(url))  # the next app of the process (tests make many) has its own
    assert service.caller_ttl_s() == 30.0
