"""Store adapters: each kind against its sample feed, over real HTTP on loopback."""

from pathlib import Path

import pytest

from store_adapters import FeedError, StockRow, adapter_for
from store_adapters.base import adapter_class
from tests.support.feed_server import API_KEY, feed_server

ROOT = Path(__file__).resolve().parents[1]
FEEDS = ROOT / "fixtures" / "feeds"
SAMPLE = FEEDS / "lotus_changsha_wuyi.csv"
FAST = {"retries": 0, "timeout_s": 2.0}


@pytest.fixture
def server():
    with feed_server() as running:
        yield running


def test_csv_feed_reads_rows_and_lists_the_bad_ones():
    snapshot = adapter_for("csv", {"path": str(SAMPLE)}).fetch_stock()
    assert StockRow("SUP-0001", 24, 5890) in snapshot.rows
    assert len(snapshot.rows) == 6 and snapshot.complete and snapshot.full
    assert snapshot.rejected == ["line 7: SUP-0006,-3,4590"]
    assert snapshot.unsure == {"SUP-0006"}  # never zeroed: its stock is unknown, not nil


def test_csv_feed_cut_off_before_its_trailer_is_incomplete(tmp_path):
    truncated = tmp_path / "feed.csv"
    truncated.write_text("\n".join(SAMPLE.read_text().splitlines()[:4]))
    assert not adapter_for("csv", {"path": str(truncated)}).fetch_stock().complete


def test_csv_feed_whose_trailer_miscounts_is_incomplete(tmp_path):
    feed = tmp_path / "feed.csv"
    feed.write_text("sku,on_hand,price_fen\nA,1,100\n#rows=5\n")
    assert not adapter_for("csv", {"path": str(feed)}).fetch_stock().complete


def test_csv_feed_without_the_required_columns_is_a_feed_error(tmp_path):
    feed = tmp_path / "feed.csv"
    feed.write_text("code,qty\nA,1\n#rows=1\n")
    with pytest.raises(FeedError, match="header"):
        adapter_for("csv", {"path": str(feed)}).fetch_stock()


def test_csv_feed_naming_one_sku_twice_hands_both_lines_on_unmerged(tmp_path):
    # The sync rejects both lines and leaves that product's stock as it was
    # (tests/test_inventory_sync.py); the adapter must not pick or merge one of them.
    feed = tmp_path / "feed.csv"
    feed.write_text("sku,on_hand,price_fen\nAPL-0001,1,329900\nAPL-0001,4,39900\n#rows=2\n")
    rows = adapter_for("csv", {"path": str(feed)}).fetch_stock().rows
    assert [(row.sku, row.on_hand) for row in rows] == [("APL-0001", 1), ("APL-0001", 4)]


def test_missing_feed_file_is_a_feed_error(tmp_path):
    with pytest.raises(FeedError):
        adapter_for("csv", {"path": str(tmp_path / "gone.csv")}).fetch_stock()


def test_csv_feed_over_http_in_gbk_is_decoded(server):
    snapshot = adapter_for(
        "csv", {"url": f"{server.url}/csv/changsha_beauty_gbk.csv", **FAST}
    ).fetch()
    assert snapshot.complete and len(snapshot.rows) == 6
    assert snapshot.rows[0].sku == "BEA-0001"


def test_csv_feed_over_http_cut_off_is_incomplete(server):
    server.switches["truncate"] = True
    url = f"{server.url}/csv/changsha_supermarket.csv"
    assert not adapter_for("csv", {"url": url, **FAST}).fetch().complete


def test_json_api_reads_every_page_and_rejects_malformed_rows(server):
    settings = {"base_url": server.url, "api_key": API_KEY, **FAST}
    snapshot = adapter_for("json_api", settings).fetch()
    assert [row.sku for row in snapshot.rows][:2] == ["SUP-0001", "SUP-0002"]
    assert len(snapshot.rows) == 11 and len(snapshot.rejected) == 1 and snapshot.complete
    assert snapshot.unsure == {"SUP-0011"}
    assert snapshot.rows[0].updated_at is not None
    assert server.hits == 3  # 12 items, 4 a page


def test_json_api_listing_shorter_than_its_total_is_incomplete(server):
    server.switches["truncate"] = True
    settings = {"base_url": server.url, "api_key": API_KEY, **FAST}
    assert not adapter_for("json_api", settings).fetch().complete


def test_json_api_with_a_refused_key_fails_without_showing_the_key(server):
    settings = {"base_url": server.url, "api_key": "sk-wrong-secret", **FAST}
    with pytest.raises(FeedError, match="credentials refused") as refused:
        adapter_for("json_api", settings).fetch()
    assert "sk-wrong-secret" not in str(refused.value)
    assert "sk-wrong-secret" not in repr(adapter_for("json_api", settings))


def test_json_api_bad_page_is_a_feed_error(server):
    server.switches["bad_page"] = 2
    with pytest.raises(FeedError, match="not JSON"):
        adapter_for("json_api", {"base_url": server.url, "api_key": API_KEY, **FAST}).fetch()


def test_slow_service_times_out(server):
    server.switches["slow_s"] = 1.0
    settings = {"base_url": server.url, "api_key": API_KEY, "retries": 0, "timeout_s": 0.2}
    with pytest.raises(FeedError, match="timed out"):
        adapter_for("json_api", settings).fetch()


def test_server_error_then_success_is_retried_with_backoff(server):
    server.switches["fail_first"] = 2
    settings = {"base_url": server.url, "api_key": API_KEY, "retries": 3, "timeout_s": 2.0}
    assert len(adapter_for("json_api", settings).fetch().rows) == 11
    assert server.hits == 5  # two 500s, then three pages


def test_server_errors_past_the_retries_are_a_feed_error(server):
    server.switches["fail_first"] = 10
    settings = {"base_url": server.url, "api_key": API_KEY, "retries": 1, "timeout_s": 2.0}
    with pytest.raises(FeedError, match="HTTP 500"):
        adapter_for("json_api", settings).fetch()


def test_delta_feed_resumes_from_its_cursor(server):
    adapter = adapter_for("delta", {"base_url": server.url, "api_key": API_KEY, **FAST})
    first = adapter.fetch(None)
    assert not first.full and first.cursor == "c3"
    assert len(first.rows) == 4 and len(first.rejected) == 1
    assert adapter.fetch("c1").rows == [
        StockRow("BEA-0001", 4, 108000),
        StockRow("BEA-0003", 9, 15900),
    ]
    caught_up = adapter.fetch("c3")
    assert caught_up.rows == [] and caught_up.cursor == "c3"


def test_fake_adapter_returns_its_rows_or_fails_like_a_broken_system():
    rows = [{"sku": "BAK-0001", "on_hand": 5, "price_fen": 4800}]
    assert adapter_for("fake", {"rows": rows}).fetch_stock().rows == [StockRow("BAK-0001", 5, 4800)]
    with pytest.raises(FeedError):
        adapter_for("fake", {"fail": "timeout"}).fetch_stock()


def test_manual_stores_are_never_synced():
    assert adapter_class("manual").synced is False
    with pytest.raises(FeedError):
        adapter_for("manual", {}).fetch()


def test_unknown_adapter_kind_is_refused():
    with pytest.raises(ValueError, match="unknown store adapter kind"):
        adapter_for("telepathy", {})
