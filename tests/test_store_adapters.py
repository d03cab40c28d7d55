"""Store adapters: complete feeds are read, truncated or malformed ones refused whole."""

import ast
from pathlib import Path

import pytest

from store_adapters import FeedError, StockRow, adapter_for

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "fixtures" / "feeds" / "lotus_changsha_wuyi.csv"


def test_csv_feed_reads_rows_and_lists_the_bad_ones():
    snapshot = adapter_for("csv_feed", {"path": str(SAMPLE)}).fetch_stock()
    assert StockRow("SUP-0001", 24, 5890) in snapshot.rows
    assert len(snapshot.rows) == 6
    assert snapshot.rejected == ["line 7: SUP-0006,-3,4590"]


def test_truncated_csv_feed_is_refused_whole(tmp_path):
    truncated = tmp_path / "feed.csv"
    truncated.write_text("\n".join(SAMPLE.read_text().splitlines()[:4]))
    with pytest.raises(FeedError, match="truncated"):
        adapter_for("csv_feed", {"path": str(truncated)}).fetch_stock()


def test_csv_feed_whose_trailer_miscounts_is_refused(tmp_path):
    feed = tmp_path / "feed.csv"
    feed.write_text("sku,on_hand,price_fen\nA,1,100\n#rows=5\n")
    with pytest.raises(FeedError, match="trailer says 5"):
        adapter_for("csv_feed", {"path": str(feed)}).fetch_stock()


def test_csv_feed_naming_one_sku_twice_is_refused_not_merged(tmp_path):
    feed = tmp_path / "feed.csv"
    feed.write_text("sku,on_hand,price_fen\nAPL-0001,1,329900\nAPL-0001,4,39900\n#rows=2\n")
    with pytest.raises(FeedError, match="sku APL-0001 on lines 2 and 3"):
        adapter_for("csv_feed", {"path": str(feed)}).fetch_stock()


def test_missing_feed_file_is_a_feed_error(tmp_path):
    with pytest.raises(FeedError):
        adapter_for("csv_feed", {"path": str(tmp_path / "gone.csv")}).fetch_stock()


def test_fake_adapter_returns_its_rows_or_fails_like_a_broken_system():
    rows = [{"sku": "BAK-0001", "on_hand": 5, "price_fen": 4800}]
    assert adapter_for("fake", {"rows": rows}).fetch_stock().rows == [StockRow("BAK-0001", 5, 4800)]
    with pytest.raises(FeedError):
        adapter_for("fake", {"fail": "timeout"}).fetch_stock()


def test_unknown_adapter_kind_is_refused():
    with pytest.raises(ValueError, match="unknown store adapter kind"):
        adapter_for("telepathy", {})


def test_store_adapters_never_import_the_service():
    for module in (ROOT / "store_adapters").glob("*.py"):
        tree = ast.parse(module.read_text())
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names}  # fmt: skip
        imported |= {node.module or "" for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom)}  # fmt: skip
        assert not any(name.split(".")[0] == "service" for name in imported), module.name
