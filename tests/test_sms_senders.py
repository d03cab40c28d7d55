"""The SMS port: the sink keeps what it would have sent; the aliyun adapter speaks Dysms
through its SDK (here to a loopback stand-in for the provider's endpoint)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from service.auth.setup import sender_from_env
from service.auth.sms.base import SmsError, SmsMessage, sender_class
from service.auth.sms.sink import SinkSender, last_code


class StandIn(BaseHTTPRequestHandler):
    """Answers SendSms like Dysms does, remembering what it was asked."""

    answer = {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "r1"}
    asked: list[dict] = []

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        params = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
        params.update({k: v[0] for k, v in parse_qs(body).items()})
        params.update({k.lower(): v for k, v in self.headers.items()})
        StandIn.asked.append(params)
        payload = json.dumps(StandIn.answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _serve

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def stand_in():
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    StandIn.asked = []
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def aliyun(endpoint):
    return sender_from_env(
        {
            "HD_SMS_SENDER": "aliyun",
            "ALIYUN_ACCESS_KEY_ID": "id",
            "ALIYUN_ACCESS_KEY_SECRET": "secret",
            "ALIYUN_SMS_SIGN_NAME": "小时达",
            "ALIYUN_SMS_TEMPLATE_CODE": "SMS_0001",
            "ALIYUN_SMS_ENDPOINT": endpoint,
            "ALIYUN_SMS_PROTOCOL": "http",
        }
    )


def test_senders_are_found_by_kind():
    assert sender_class("sink") is SinkSender
    assert sender_class("aliyun").kind == "aliyun"


def test_the_sink_keeps_the_code_in_memory_and_in_its_file(tmp_path):
    path = tmp_path / "sms.jsonl"
    receipt = SinkSender(str(path)).send_code(SmsMessage("+8613800000009", "123456", 5))
    assert receipt.shown_code == "123456"
    assert last_code("+8613800000009") == "123456"
    assert last_code("+8613800000009", str(path)) == "123456"


def test_aliyun_sends_the_template_with_the_code_to_the_national_number(stand_in):
    receipt = aliyun(stand_in).send_code(SmsMessage("+8613800000009", "654321", 5))
    assert (receipt.provider, receipt.message_id) == ("aliyun", "900619746936498440^0")
    asked = StandIn.asked[-1]
    assert asked["x-acs-action"] == "SendSms"
    assert asked["PhoneNumbers"] == "13800000009"
    assert (asked["SignName"], asked["TemplateCode"]) == ("小时达", "SMS_0001")
    assert json.loads(asked["TemplateParam"]) == {"code": "654321"}
    assert "Credential=id" in asked["authorization"]  # signed with the access key


def test_aliyun_refusal_is_an_sms_error_without_the_number(stand_in):
    StandIn.answer = {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "limit", "RequestId": "r"}
    try:
        with pytest.raises(SmsError) as refused:
            aliyun(stand_in).send_code(SmsMessage("+8613800000009", "654321", 5))
    finally:
        StandIn.answer = {"Code": "OK", "Message": "OK", "BizId": "1^0", "RequestId": "r1"}
    assert "13800000009" not in str(refused.value)


def test_an_unreachable_provider_is_an_sms_error():
    with pytest.raises(SmsError):
        aliyun("127.0.0.1:9").send_code(SmsMessage("+8613800000009", "654321", 5))


def test_a_failing_provider_answers_503_and_counts_nothing_against_the_number(app, client):
    app.extensions["hourdelivery.sms"] = aliyun("127.0.0.1:9")
    failed = client.post("/v1/auth/code", json={"phone": "13800000009"})
    assert failed.status_code == 503
    assert failed.json["error"]["code"] == "sms_unavailable"
    app.extensions["hourdelivery.sms"] = SinkSender()
    assert client.post("/v1/auth/code", json={"phone": "13800000009"}).status_code == 202
