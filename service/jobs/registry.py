"""Every job the scheduler runs, by name (also `hourdelivery jobs run NAME`)."""

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session, select

from service.campaigns.redemption import expire_coupons
from service.checks.service import check_and_record
from service.cities.models import City
from service.deliveries import dispatch
from service.deliveries.purge import purge_trail
from service.jobs.runner import Job
from service.orders.idempotency import purge_keys
from service.orders.readiness import auto_ready, due_auto_ready
from service.payments import daily
from service.payments import jobs as payments
from service.tablet.deadlines import overdue_at_tablets, time_out


def _city_ids(session: Session, _now: datetime) -> list[int]:
    return list(session.exec(select(City.id).order_by(City.id)))


def _whole(_session: Session, _now: datetime) -> list[str]:
    return ["all"]  # one item: the job works on the whole database at once


def _once(work: Callable[..., int]) -> Callable[..., int]:
    """run_item for a `_whole` job: `work(session=, now=)`."""
    return lambda *, session, item, now: work(session=session, now=now)


def _each(work: Callable[..., int], key: str) -> Callable[..., int]:
    """run_item handing the item to `work` as its keyword `key`."""
    return lambda *, session, item, now: work(session=session, now=now, **{key: item})


JOBS = {
    job.name: job
    for job in (
        Job(
            name="expire_coupons",
            description="AVAILABLE coupons past their validity become EXPIRED, city by city",
            items=_city_ids,
            run_item=_each(expire_coupons, "city_id"),
            every_s=60,
        ),
        Job(
            name="purge_idempotency_keys",
            description="forget order idempotency keys older than 24 h",
            items=_whole,
            run_item=_once(purge_keys),
            every_s=3600,
        ),
        Job(
            name="accept_timeouts",
            description="PLACED orders a tablet store did not accept in time move to the next "
            "store (or are cancelled); 3 misses in 30 minutes pause and flag the store",
            items=overdue_at_tablets,
            run_item=_each(time_out, "order_id"),
            every_s=15,
        ),
        Job(
            name="auto_ready",
            description="orders at auto_accept stores become READY once the store's preparation "
            "minutes have passed since acceptance (unless its system said so earlier)",
            items=due_auto_ready,
            run_item=_each(auto_ready, "order_id"),
            every_s=15,
        ),
        Job(
            name="dispatch",
            description="offer waiting deliveries to couriers, one min-cost batch per city",
            items=dispatch.cities_with_work,
            run_item=_each(dispatch.tick, "city_id"),
            every_s=3,
        ),
        Job(
            name="check_money",
            description="recompute money, stock, coupons and order histories; differences go "
            "to the console (GET /v1/admin/invariants) and /metrics (hd_invariant_violations)",
            items=_whole,
            run_item=_once(check_and_record),
            every_s=86_400,
        ),
        Job(
            name="close_unpaid",
            description="close at the provider the payments past pay-by (or whose order was "
            "cancelled), then their orders; a payment found paid is paid",
            items=payments.unpaid_due,
            run_item=payments.close_unpaid,
            every_s=15,
        ),
        Job(
            name="query_payments",
            description="ask the provider about payments and refunds with no notification",
            items=payments.silent,
            run_item=payments.query_one,
            every_s=30,
        ),
        Job(
            name="send_refunds",
            description="ask the provider for the refunds requested (one refund number each)",
            items=lambda session, now: payments.refunds_due(session, now),
            run_item=payments.send_refund,
            every_s=5,
        ),
        Job(
            name="reconcile_payments",
            description="match each merchant account's statement of yesterday (provider day, "
            "ready from 10:00) with our payments and refunds, line by line",
            items=daily.days_due,
            run_item=daily.reconcile_item,
            every_s=600,
        ),
        Job(
            name="sandbox_notifications",
            description="demo/test only: deliver the sandbox's late payment notifications",
            items=payments.sandbox_accounts,
            run_item=payments.sandbox_deliver,
            every_s=5,
        ),
        Job(
            name="purge_courier_trail",
            description="forget courier trail points older than 7 days",
            items=_whole,
            run_item=_once(purge_trail),
            every_s=3600,
        ),
    )
}
