"""The command line: migrate and seed a fresh database end to end."""

from sqlalchemy import inspect

from service import create_app
from service.config import Settings
from service.db import make_engine


def test_cli_migrates_and_seeds_a_fresh_sqlite_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    runner = create_app(Settings(database_url=url)).test_cli_runner()
    upgraded = runner.invoke(args=["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    loaded = runner.invoke(args=["fixtures", "load"])
    assert loaded.exit_code == 0, loaded.output
    assert "stores=" in loaded.output
    tokens = runner.invoke(args=["demo-tokens"])
    assert tokens.exit_code == 0, tokens.output
    assert {"consumer", "store", "courier", "operator"} <= set(tokens.output.split())
    assert "orders" in inspect(make_engine(url)).get_table_names()
