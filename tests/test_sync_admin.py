"""Stale stock stops orders until a good sync; operators see and run syncs; the sync CLI."""

from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from service import create_app
from service.clock import SystemClock
from service.config import Settings
from service.jobs.scheduler import refresh_store_jobs
from service.people.models import Operator
from service.sync.admin import sync_overview
from service.sync.schedule import next_run_at
from tests.support.factories import city, make_city, make_consumers, make_store
from tests.test_campaign_admin import operator_headers
from tests.test_matching import order, refused_reasons

FEED = "sku,on_hand,price_fen\nBAK-0001,30,5000\n#rows=1\n"


def feed_store(session, tmp_path, **fields):
    path = tmp_path / "feed.csv"
    path.write_text(FEED)
    settings = {"path": str(path), "api_key": "sk-HIDDEN"}
    return make_store(
        session,
        make_city(session),
        1.0,
        adapter_kind="csv",
        sync_interval_s=60,
        adapter_settings=settings,
        **fields,
    )


def test_stale_store_gets_no_orders_until_a_good_sync(client, session, clock, tmp_path):
    store = feed_store(session, tmp_path, stock_fresh_until=clock.now() - timedelta(seconds=1))
    ((_, token),) = make_consumers(session, 1, clock.now())
    session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    assert refused_reasons(order(client, headers)) == {"stale_stock": 1}
    platform = operator_headers(session, clock)
    synced = client.post(f"/v1/admin/sync/{store.id}", json={}, headers=platform)
    assert synced.status_code == 200 and synced.json["status"] == "ok", synced.json
    assert order(client, headers, key="k2").status_code == 201


def test_a_manual_store_is_never_stale(client, session, clock):
    make_store(session, make_city(session), 1.0, stock_fresh_until=clock.now() - timedelta(days=9))
    ((_, token),) = make_consumers(session, 1, clock.now())
    session.commit()
    assert order(client, {"Authorization": f"Bearer {token}"}).status_code == 201


def test_operator_sees_sync_state_without_credentials(client, session, clock, tmp_path):
    store = feed_store(session, tmp_path)
    session.commit()
    platform = operator_headers(session, clock)
    client.post(f"/v1/admin/sync/{store.id}", json={}, headers=platform)
    shown = client.get("/v1/admin/sync", headers=platform)
    assert shown.status_code == 200
    mine = next(s for s in shown.json["stores"] if s["store_id"] == store.id)
    assert mine["kind"] == "csv" and mine["last_run"]["rows_applied"] == 1
    assert mine["last_success_at"] and mine["next_run_at"] and mine["failures"] == 0
    assert "sk-HIDDEN" not in shown.text and "feed.csv" not in shown.text


def test_city_operator_sees_and_syncs_only_their_city(client, session, clock, tmp_path):
    elsewhere = feed_store(session, tmp_path)
    session.commit()
    changsha_ops = operator_headers(session, clock, "changsha")
    listed = client.get("/v1/admin/sync", headers=changsha_ops).json["stores"]
    assert listed and {s["city_id"] for s in listed} == {city(session, "changsha").id}
    assert (
        client.post(f"/v1/admin/sync/{elsewhere.id}", json={}, headers=changsha_ops).status_code
        == 404
    )


def test_truncated_feed_is_refused_until_an_operator_forces_it(client, session, clock, tmp_path):
    store = feed_store(session, tmp_path)
    (tmp_path / "feed.csv").write_text(FEED.replace("#rows=1\n", ""))
    session.commit()
    platform = operator_headers(session, clock)
    refused = client.post(f"/v1/admin/sync/{store.id}", json={}, headers=platform)
    assert refused.json["status"] == "refused"
    forced = client.post(f"/v1/admin/sync/{store.id}", json={"force": True}, headers=platform)
    assert (forced.json["status"], forced.json["forced"]) == ("ok", True)


def test_consumers_may_not_run_syncs(client, session, clock, tmp_path):
    store = feed_store(session, tmp_path)
    ((_, token),) = make_consumers(session, 1, clock.now())
    session.commit()
    answer = client.post(
        f"/v1/admin/sync/{store.id}", json={}, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 403


def test_sync_cli_runs_the_seeded_csv_stores_with_a_summary(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    runner = create_app(Settings(database_url=url)).test_cli_runner()
    runner.invoke(args=["db", "upgrade"])
    runner.invoke(args=["fixtures", "load"])
    ran = runner.invoke(args=["sync", "--city", "changsha"])
    assert ran.exit_code == 0, ran.output
    assert "3 store(s)" in ran.output and " ok " in ran.output
    assert runner.invoke(args=["sync"]).exit_code == 2


def test_next_run_is_the_slot_the_scheduler_fires_the_store_on_even_backing_off(
    db, session, clock, tmp_path
):
    store = feed_store(session, tmp_path)
    session.commit()
    scheduler = BackgroundScheduler()
    refresh_store_jobs(scheduler, db, SystemClock())
    trigger = scheduler.get_job(f"store:{store.id}").trigger
    real_now = datetime.now(UTC)
    for retry_in_s in (None, 150):
        retry_at = clock.now() + timedelta(seconds=retry_in_s) if retry_in_s else None
        listed = next_run_at(
            store_id=store.id,
            interval_s=60,
            retry_at=retry_at,
            now=clock.now(),
            speed=1.0,
            real_now=real_now,
        )
        fires = trigger.get_next_fire_time(None, real_now + timedelta(seconds=retry_in_s or 0))
        assert listed - clock.now() == fires - real_now  # the same moment, in business time
    shown = listed_store(session, clock, store.id)
    assert (
        clock.now()
        <= datetime.fromisoformat(shown["next_run_at"])
        <= clock.now() + timedelta(seconds=60)
    )


def listed_store(session, clock, store_id) -> dict:
    operator = session.execute(select(Operator).where(Operator.city_id.is_(None))).scalars().first()
    stores = sync_overview(session=session, operator=operator, now=clock.now())
    return next(s for s in stores if s.store_id == store_id).model_dump(mode="json")
