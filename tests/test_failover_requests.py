"""Through a database failover (docs/ha.md): a broken primary answers 503 try_again, claims and
cancels retried with their Idempotency-Key replay the first answer, and two schedulers that both
think they lead never run one job item together."""

import threading
from datetime import UTC, datetime

import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from service.campaigns.models import Coupon, PackClaim
from service.jobs.runner import Job, run_job
from service.orders.models import IdempotencyKey, LedgerEntry
from service.sync.jobs import sync_due_store, sync_one
from service.sync.models import SyncRun
from service.sync.service import sync_tasks
from tests.support.factories import make_campaign, make_city, make_consumers, make_store
from tests.support.payments import pay, settle_refunds
from tests.test_orders import BODY, HOME, post

POINT = {"lat": HOME["lat"], "lon": HOME["lon"]}


@pytest.fixture
def town(session, clock):
    store = make_store(session, make_city(session), 1.0, stock={"BAK-0001": (10, 4800)})
    people = make_consumers(session, 1, clock.now())
    session.commit()
    return store, [{"Authorization": f"Bearer {token}"} for _, token in people]


def claim(client, campaign_id, headers, key=None):
    extra = {"Idempotency-Key": key} if key else {}
    return client.post(
        f"/v1/campaigns/{campaign_id}/claim", json=POINT, headers={**headers, **extra}
    )


def count(session, table) -> int:
    return session.execute(select(func.count()).select_from(table)).scalar()


def test_a_claim_retried_with_its_key_replays_the_first_answer(client, session, clock, town):
    campaign, _ = make_campaign(session, clock.now(), code="testville")
    session.commit()
    headers = town[1][0]
    first = claim(client, campaign.id, headers, key="claim-1")
    again = claim(client, campaign.id, headers, key="claim-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json == first.json
    assert count(session, PackClaim) == 1
    without_key = claim(client, campaign.id, headers)
    assert without_key.status_code == 409
    assert without_key.json["error"]["code"] == "already_claimed"


def test_a_claim_key_reused_for_another_campaign_is_422(client, session, clock, town):
    one, _ = make_campaign(session, clock.now(), code="testville")
    other, _ = make_campaign(session, clock.now(), code="testville")
    session.commit()
    headers = town[1][0]
    assert claim(client, one.id, headers, key="k").status_code == 201
    reused = claim(client, other.id, headers, key="k")
    assert reused.status_code == 422
    assert reused.json["error"]["code"] == "idempotency_key_reused"
    assert count(session, PackClaim) == 1


def test_a_refused_claim_keeps_no_key(client, session, clock, town):
    campaign, batch = make_campaign(session, clock.now(), code="testville", quota=1)
    batch.packs_claimed = 1
    session.commit()
    refused = claim(client, campaign.id, town[1][0], key="k")
    assert refused.status_code == 409
    assert count(session, IdempotencyKey) == 0


def test_a_cancel_retried_with_its_key_replays_and_refunds_once(client, session, town):
    headers = town[1][0]
    placed = post(client, headers, "order-1").json["order"]
    url = f"/v1/orders/{placed['id']}/cancel"
    first = client.post(url, json={}, headers={**headers, "Idempotency-Key": "cancel-1"})
    again = client.post(url, json={}, headers={**headers, "Idempotency-Key": "cancel-1"})
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json == first.json and first.json["status"] == "CANCELLED"
    settle_refunds(client)  # the ledger shows the refund once the provider says it went back
    refunds = select(func.count()).where(LedgerEntry.kind == "refund")
    assert session.execute(refunds).scalar() == 1
    plain = client.post(url, json={}, headers=headers)
    assert plain.status_code == 409


def test_a_payment_pressed_again_after_its_answer_was_lost_is_paid_once(client, session, town):
    headers = town[1][0]
    placed = client.post("/v1/orders", json=BODY, headers={**headers, "Idempotency-Key": "p-1"})
    payment = placed.json["payment"]
    pay(client, payment, deliver="never")  # the sandbox took the money; our answer was lost
    for _ in range(2):
        again = pay(client, payment)
        assert again.status_code == 200 and again.json["paid"] is True
    order = client.get(f"/v1/orders/{placed.json['order']['id']}", headers=headers).json
    assert order["status"] != "AWAITING_PAYMENT"
    charges = select(func.count()).where(LedgerEntry.kind == "charge")
    assert session.execute(charges).scalar() == 1


def test_a_lost_primary_is_503_try_again_and_changes_nothing(client, session, town, monkeypatch):
    headers = town[1][0]
    lost = psycopg.OperationalError("server closed the connection unexpectedly")

    def primary_gone(*_args, **_kwargs):
        raise OperationalError("INSERT", {}, lost, connection_invalidated=True)

    monkeypatch.setattr("service.orders.placement._reserve_best", primary_gone)
    response = post(client, headers, "gap-1")
    assert response.status_code == 503
    assert response.json["error"]["code"] == "try_again"
    assert response.headers["Retry-After"] == "1"
    assert count(session, IdempotencyKey) == 0
    monkeypatch.undo()
    assert post(client, headers, "gap-1").status_code == 201


def test_a_demoted_primary_refusing_writes_is_503_try_again(client, town, monkeypatch):
    read_only = psycopg.errors.ReadOnlySqlTransaction("cannot execute INSERT in a read-only tx")

    def demoted(*_args, **_kwargs):
        raise OperationalError("INSERT", {}, read_only)

    monkeypatch.setattr("service.orders.placement._reserve_best", demoted)
    response = post(client, town[1][0], "gap-2")
    assert (response.status_code, response.json["error"]["code"]) == (503, "try_again")


def test_two_schedulers_never_run_the_same_item_at_once(committed_db):
    if committed_db.dialect != "postgresql":
        pytest.skip("the per-item fence is PostgreSQL's advisory lock; SQLite has one writer")
    inside, release, runs = threading.Event(), threading.Event(), []

    def run_item(*, session, item, now):
        runs.append(item)
        inside.set()
        release.wait(10)
        return 1

    job = Job("fence_test", "two leaders at once", lambda _s, _n: ["city-1"], run_item)
    now = datetime.now(UTC)
    first = threading.Thread(
        target=run_job, args=(job,), kwargs={"database": committed_db, "now": now}
    )
    first.start()
    assert inside.wait(10)
    second = run_job(job, database=committed_db, now=now)
    release.set()
    first.join(10)
    assert runs == ["city-1"]
    assert (second.items, second.changed, second.failed) == (1, 0, [])


def test_two_schedulers_never_sync_one_store_at_once_though_they_read_other_cursors(
    committed_db,
):
    if committed_db.dialect != "postgresql":
        pytest.skip("the per-item fence is PostgreSQL's advisory lock; SQLite has one writer")
    inside, release, runs = threading.Event(), threading.Event(), []

    def run_item(*, session, item, now):
        runs.append(item)
        inside.set()
        release.wait(10)
        return 1

    def job(cursor: str) -> Job:
        task = (7, cursor)  # (store, cursor): what each scheduler read of one store
        return Job("sync store", "sync", lambda _s, _n: [task], run_item, fence=lambda t: t[0])

    now = datetime.now(UTC)
    first = threading.Thread(
        target=run_job, args=(job("a"),), kwargs={"database": committed_db, "now": now}
    )
    first.start()
    assert inside.wait(10)
    second = run_job(job("b"), database=committed_db, now=now)
    release.set()
    first.join(10)
    assert runs == [(7, "a")] and (second.items, second.changed) == (1, 0)


def test_a_store_sync_another_scheduler_ran_since_it_was_read_is_not_run_again(
    committed_db, tmp_path
):
    feed = tmp_path / "feed.csv"
    feed.write_text("sku,on_hand,price_fen\nBAK-0001,7,4800\n#rows=1\n")
    with committed_db.unit_of_work() as session:
        store_id = make_store(
            session,
            make_city(session),
            1.0,
            adapter_kind="csv",
            adapter_settings={"path": str(feed)},
            stock={"BAK-0001": (3, 4800)},
        ).id
    now = datetime.now(UTC)
    with committed_db.unit_of_work(write=False) as session:
        stale = sync_tasks(session, store_ids=[store_id])[0]  # what the old leader read
    assert sync_due_store(committed_db, store_id, now=now).status == "ok"  # the new leader
    assert sync_one(committed_db, stale, now=now) is None
    with committed_db.unit_of_work(write=False) as session:
        assert count(session, select(SyncRun).where(SyncRun.store_id == store_id).subquery()) == 1


def test_coupons_of_a_replayed_claim_are_issued_once(client, session, clock, town):
    campaign, _ = make_campaign(session, clock.now(), code="testville", pack=((0, 500, 3),))
    session.commit()
    for _ in range(3):
        assert claim(client, campaign.id, town[1][0], key="same").status_code == 201
    assert count(session, Coupon) == 3
