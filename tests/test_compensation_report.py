"""A compensation campaign reports like any other: a default range it can cover, reconciled."""

from zoneinfo import ZoneInfo

from service.checks.service import find_differences
from service.deliveries import dispatch
from tests.support.deliveries import (
    BODY,
    backdate,
    carried,
    compensation_budget,
    make_operator,
    offered_job,
    store_moves,
)
from tests.support.payments import place_and_pay


def deliver_late(client, session, clock, job) -> None:
    backdate(session, job["order"]["id"], minutes=5)
    session.commit()
    delivery_id = carried(client, session, clock, job)
    done = client.post(
        f"/v1/courier/deliveries/{delivery_id}/delivered",
        headers=job["me"],
        json={"code": job["order"]["handoff_code"]},
    )
    assert done.status_code == 200, done.json


def test_a_consumer_compensated_twice_reconciles_over_the_default_range(client, session, clock):
    job = offered_job(client, session, clock)
    deliver_late(client, session, clock, job)
    again = place_and_pay(client, BODY, job["consumer"], "second")
    job["order"] = again.json["order"]
    store_moves(session, job["order"]["id"], "ACCEPTED", clock.now())
    dispatch.tick(session=session, city_id=job["city"].id, now=clock.now())
    session.commit()
    if not client.get("/v1/courier/offers", headers=job["me"]).json["deliveries"]:
        job["me"] = job["other"]  # the other courier was nearer this time
    deliver_late(client, session, clock, job)
    campaign = compensation_budget(session, job["city"].id)
    operator = {"Authorization": f"Bearer {make_operator(session, clock.now())}"}
    session.commit()
    report = client.get(f"/v1/admin/reports/campaigns/{campaign.id}", headers=operator)
    assert report.status_code == 200, report.json
    assert report.json["reconciled"] is True, report.json["differences"]
    assert report.json["to"] == clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
    assert report.json["totals"]["issued_count"] == 2
    assert find_differences(session=session) == []
