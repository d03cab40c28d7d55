"""WeChat Pay's side of API v3, played on loopback for the wechatpay_v3 adapter's tests.

It checks each request's WECHATPAY2-SHA256-RSA2048 Authorization against the merchant's public
key, signs each answer with the platform key (public-key mode: Wechatpay-Serial is the public
key's id), and makes notifications as WeChat does: the resource encrypted with AES-256-GCM
under the APIv3 key, the body signed with the platform key.
"""

import base64
import gzip
import hashlib
import json
import re
import secrets
import time
from datetime import datetime
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from service.payments.providers import wechat_bill
from service.payments.providers.base import StatementLine
from tests.support.provider_proxy import Reply, Request, pem_private, pem_public, role_key
from tests.support.wechat_notice import encrypted_body

HOST = "api.mch.weixin.qq.com"
CHINA = ZoneInfo("Asia/Shanghai")
AUTH = re.compile(r'(\w+)="([^"]*)"')


def _sign(key, text: str) -> str:
    return base64.b64encode(key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


class WechatSide:
    """The merchant's keys, WeChat's platform key, and WeChat's books of one merchant."""

    def __init__(self, mchid="1900000001", appid="wx8888888888888888"):
        self.mchid, self.appid = mchid, appid
        self.merchant_key, self.platform_key = role_key("merchant"), role_key("wechat")
        self.serial_no, self.public_key_id = "5157F09EFDC096DE15EBE81A47057A72", "PUB_KEY_ID_01"
        self.apiv3_key = secrets.token_hex(16)  # 32 characters, as WeChat's APIv3 key
        self.trades: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.requests: list[Request] = []
        self.bills: dict[str, bytes] = {}

    def settings(self, proxy_url: str) -> dict:
        """The account settings a city would configure (keys already read from their files)."""
        return {
            "mchid": self.mchid,
            "appid": self.appid,
            "private_key": pem_private(self.merchant_key),
            "cert_serial_no": self.serial_no,
            "apiv3_key": self.apiv3_key,
            "public_key": pem_public(self.platform_key),
            "public_key_id": self.public_key_id,
            "notify_url": "https://shop.example/v1/payments/notify/wechatpay_v3",
            "timeout": 5,
            "proxy": {"https": proxy_url},
        }

    # -- the HTTP side ----------------------------------------------------------------------

    def __call__(self, request: Request) -> Reply:
        self.requests.append(request)
        if not self._authorized(request):
            return self._json(401, {"code": "SIGN_ERROR", "message": "signature mismatch"})
        url = urlsplit(request.path)
        body = json.loads(request.body) if request.body else {}
        for pattern, handler in self._routes():
            found = re.fullmatch(pattern, f"{request.method} {url.path}")
            if found:
                return handler(*found.groups(), body=body, query=parse_qs(url.query))
        return self._json(404, {"code": "NOT_FOUND", "message": "no such API"})

    def _routes(self):
        return [
            (r"POST /v3/pay/transactions/(h5|jsapi)", self._pay),
            (r"GET /v3/pay/transactions/out-trade-no/([^/]+)", self._query),
            (r"POST /v3/pay/transactions/out-trade-no/([^/]+)/close", self._close),
            (r"POST /v3/refund/domestic/refunds", self._refund),
            (r"GET /v3/refund/domestic/refunds/([^/]+)", self._query_refund),
            (r"GET /v3/bill/tradebill", self._trade_bill),
            (r"GET /v3/billdownload/file", self._download),
        ]

    def _authorized(self, request: Request) -> bool:
        scheme, _, params = request.headers.get("Authorization", "").partition(" ")
        fields = dict(AUTH.findall(params))
        if scheme != "WECHATPAY2-SHA256-RSA2048" or fields.get("mchid") != self.mchid:
            return False
        if fields.get("serial_no") != self.serial_no:
            return False
        text = "{}\n{}\n{}\n{}\n{}\n".format(
            request.method,
            request.path,
            fields.get("timestamp"),
            fields.get("nonce_str"),
            request.body.decode(),
        )
        try:
            self.merchant_key.public_key().verify(
                base64.b64decode(fields.get("signature", "")),
                text.encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except Exception:
            return False
        return True

    def signed_headers(self, body: str) -> dict[str, str]:
        """The Wechatpay-* headers WeChat puts on an answer or a notification."""
        stamp, nonce = str(int(time.time())), secrets.token_hex(16)
        return {
            "Wechatpay-Timestamp": stamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Serial": self.public_key_id,
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
            "Wechatpay-Signature": _sign(self.platform_key, f"{stamp}\n{nonce}\n{body}\n"),
        }

    def _json(self, status: int, data: dict | None) -> Reply:
        body = json.dumps(data) if data is not None else ""
        headers = {"Content-Type": "application/json", **self.signed_headers(body)}
        return Reply(status, body.encode(), headers)

    def _pay(self, kind, *, body, query):
        if body.get("mchid") != self.mchid or body.get("appid") != self.appid:
            return self._json(400, {"code": "PARAM_ERROR", "message": "mchid/appid"})
        if kind == "jsapi" and not body.get("payer", {}).get("openid"):
            return self._json(400, {"code": "PARAM_ERROR", "message": "payer"})
        trade = self.trades.setdefault(
            body["out_trade_no"],
            {
                "prepay_id": "wx" + secrets.token_hex(14),
                "total": body["amount"]["total"],
                "time_expire": body["time_expire"],
                "notify_url": body["notify_url"],
                "state": "NOTPAY",
            },
        )
        if trade["total"] != body["amount"]["total"]:
            return self._json(400, {"code": "INVALID_REQUEST", "message": "another amount"})
        if kind == "jsapi":
            return self._json(200, {"prepay_id": trade["prepay_id"]})
        url = f"https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id={trade['prepay_id']}"
        return self._json(200, {"h5_url": url})

    def transaction(self, out_trade_no: str) -> dict:
        """The trade as WeChat's query and notifications describe it."""
        trade = self.trades[out_trade_no]
        data = {
            "appid": self.appid,
            "mchid": self.mchid,
            "out_trade_no": out_trade_no,
            "trade_type": "MWEB",
            "trade_state": trade["state"],
            "trade_state_desc": trade["state"],
            "amount": {"total": trade["total"], "currency": "CNY"},
        }
        if trade["state"] in ("SUCCESS", "REFUND"):
            data["transaction_id"] = trade["transaction_id"]
            data["success_time"] = trade["success_time"]
            data["payer"] = {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}
        return data

    def _query(self, out_trade_no, *, body, query):
        if query.get("mchid") != [self.mchid]:
            return self._json(400, {"code": "PARAM_ERROR", "message": "mchid"})
        if out_trade_no not in self.trades:
            return self._json(404, {"code": "ORDER_NOT_EXIST", "message": "no such order"})
        return self._json(200, self.transaction(out_trade_no))

    def _close(self, out_trade_no, *, body, query):
        trade = self.trades.get(out_trade_no)
        if trade is None:
            return self._json(404, {"code": "ORDER_NOT_EXIST", "message": "no such order"})
        if trade["state"] == "SUCCESS":
            return self._json(400, {"code": "ORDER_PAID", "message": "paid"})
        trade["state"] = "CLOSED"
        return self._json(204, None)

    def _refund(self, *, body, query):
        trade = self.trades.get(body.get("out_trade_no"))
        if trade is None or trade["state"] not in ("SUCCESS", "REFUND"):
            return self._json(400, {"code": "RESOURCE_NOT_EXISTS", "message": "not paid"})
        self.refunds.setdefault(
            body["out_refund_no"],
            {
                "refund_id": "50" + secrets.token_hex(10),
                "out_trade_no": body["out_trade_no"],
                "refund": body["amount"]["refund"],
                "total": body["amount"]["total"],
                "status": "PROCESSING",
                "reason": body.get("reason"),
            },
        )
        trade["state"] = "REFUND"
        return self._json(200, self.refund_data(body["out_refund_no"]))

    def refund_data(self, out_refund_no: str) -> dict:
        """A refund as WeChat's answers describe it."""
        refund = self.refunds[out_refund_no]
        return {
            "refund_id": refund["refund_id"],
            "out_refund_no": out_refund_no,
            "out_trade_no": refund["out_trade_no"],
            "transaction_id": self.trades[refund["out_trade_no"]]["transaction_id"],
            "status": refund["status"],
            "amount": {"refund": refund["refund"], "total": refund["total"], "currency": "CNY"},
        }

    def _query_refund(self, out_refund_no, *, body, query):
        if out_refund_no not in self.refunds:
            return self._json(404, {"code": "RESOURCE_NOT_EXISTS", "message": "no refund"})
        return self._json(200, self.refund_data(out_refund_no))

    def _trade_bill(self, *, body, query):
        day = query["bill_date"][0]
        lines = [line for line in self.statement_lines() if line.at.date().isoformat() == day]
        raw = gzip.compress(wechat_bill.write(self.mchid, lines).encode())
        token = secrets.token_hex(8)
        self.bills[token] = raw
        return self._json(
            200,
            {
                "download_url": f"https://{HOST}/v3/billdownload/file?token={token}",
                "hash_type": "SHA1",
                "hash_value": hashlib.sha1(raw).hexdigest(),
            },
        )

    def _download(self, *, body, query):
        raw = self.bills[query["token"][0]]
        return Reply(200, raw, {"Content-Type": "application/octet-stream"})

    # -- what the test makes happen -------------------------------------------------------

    def statement_lines(self) -> list[StatementLine]:
        lines = []
        for number, trade in self.trades.items():
            if "transaction_id" in trade:
                at = datetime.fromisoformat(trade["success_time"])
                lines.append(StatementLine("payment", number, trade["total"], "", at))
        for number, refund in self.refunds.items():
            if refund["status"] == "SUCCESS":
                at = datetime.fromisoformat(refund["success_time"])
                lines.append(
                    StatementLine("refund", refund["out_trade_no"], refund["refund"], number, at)
                )
        return lines

    def pay(self, out_trade_no: str, at: datetime) -> tuple[dict[str, str], bytes]:
        """The consumer pays: the trade succeeds, and WeChat's notification of it."""
        trade = self.trades[out_trade_no]
        trade.update(
            state="SUCCESS",
            transaction_id="4200" + secrets.token_hex(12),
            success_time=at.astimezone(CHINA).isoformat(timespec="seconds"),
        )
        return self.notification(
            "TRANSACTION.SUCCESS", "transaction", self.transaction(out_trade_no)
        )

    def refund_succeeds(self, out_refund_no: str, at: datetime) -> tuple[dict[str, str], bytes]:
        """WeChat finishes a refund, and its notification."""
        refund = self.refunds[out_refund_no]
        refund.update(status="SUCCESS", success_time=at.astimezone(CHINA).isoformat())
        data = self.refund_data(out_refund_no)
        resource = {
            "mchid": self.mchid,
            "out_trade_no": data["out_trade_no"],
            "transaction_id": data["transaction_id"],
            "out_refund_no": out_refund_no,
            "refund_id": data["refund_id"],
            "refund_status": "SUCCESS",
            "success_time": refund["success_time"],
            "user_received_account": "支付用户零钱",
            "amount": {
                "total": data["amount"]["total"],
                "refund": data["amount"]["refund"],
                "payer_total": data["amount"]["total"],
                "payer_refund": data["amount"]["refund"],
            },
        }
        return self.notification("REFUND.SUCCESS", "refund", resource)

    def notification(self, event: str, original: str, resource: dict, apiv3_key=None):
        """A notification body, its resource encrypted and the whole signed, as WeChat sends."""
        body = encrypted_body(apiv3_key or self.apiv3_key, event, original, resource)
        return self.signed_headers(body), body.encode()
