"""The command line: migrate and seed a fresh database end to end."""

from sqlalchemy import inspect

from service import create_app
from service.config import Settings
from service.db import make_engine


def test_cli_migrates_seeds_and_analyzes_a_fresh_sqlite_database(tmp_path):
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
    engine = make_engine(url)
    assert "orders" in inspect(engine).get_table_names()
    with engine.connect() as conn:  # the planner has statistics for the loaded stores
        assert conn.exec_driver_sql(
            "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'stores'"
        ).scalar()
