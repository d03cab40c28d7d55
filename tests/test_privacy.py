"""Phone numbers: masked for everyone but the person; never in logs; the courier sees the
consumer's masked number and address only on his current delivery."""

from service.auth.limits import limiter
from service.auth.phones import mask_phone
from service.auth.sms.sink import last_code
from service.people.models import Consumer
from tests.support.deliveries import offered_job


def test_masking_keeps_the_first_three_and_last_four_digits():
    assert mask_phone("+8613812341234") == "138****1234"


def test_the_courier_sees_address_and_masked_number_only_on_his_current_delivery(
    client, session, clock
):
    job = offered_job(client, session, clock)
    phone = session.get(Consumer, job["consumer_id"]).phone
    (offer,) = client.get("/v1/courier/offers", headers=job["me"]).json["deliveries"]
    assert offer["drop_off"]["phone"] is None
    assert job["order"]["address"] not in offer["drop_off"]["address"]
    taken = client.post(f"/v1/courier/offers/{offer['id']}/accept", headers=job["me"]).json
    assert taken["drop_off"]["phone"] == mask_phone(phone)
    assert taken["drop_off"]["address"] == job["order"]["address"]
    assert phone[3:] not in str(taken)


def test_sign_in_never_writes_the_number_to_the_logs(client, app, capfd):
    with app.app_context():
        limiter.reset()
    client.post("/v1/auth/code", json={"phone": "13812349876"})
    client.post(
        "/v1/auth/sign-in", json={"phone": "13812349876", "code": last_code("+8613812349876")}
    )
    logged = "".join(capfd.readouterr())
    assert "/v1/auth/sign-in" in logged
    assert "12349876" not in logged
