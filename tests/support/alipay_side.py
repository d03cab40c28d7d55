"""Alipay's open platform, played on loopback for the alipay adapter's tests.

It checks each request's RSA2 signature with the app's public key, answers as the gateway does
(`{"<method>_response": {...}, "sign": ...}`, signed with Alipay's key), takes the buyer's side
of a wap payment (the signed pay URL), posts form notifications signed as Alipay signs them,
and serves the day's bill zip (GBK CSV) from its download host.
"""

import base64
import json
import secrets
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from tests.support import alipay_bill_zip
from tests.support.provider_proxy import Reply, Request, pem_private, pem_public, role_key

HOSTS = ["openapi.alipay.com", "dwbillcenter.alipay.com"]
CHINA = ZoneInfo("Asia/Shanghai")


def _text(params: dict[str, str]) -> str:
    return "&".join(f"{k}={v}" for k, v in sorted(params.items()))


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _at(when: datetime) -> str:
    return when.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")


class AlipaySide:
    """The app's keys, Alipay's key, and Alipay's books of one app."""

    def __init__(self, appid="2021000000000001"):
        self.appid = appid
        self.app_key, self.alipay_key = role_key("app"), role_key("alipay")
        self.trades: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.bills: dict[str, bytes] = {}
        self.clock = lambda: datetime.now(CHINA)  # when refunds are made

    def settings(self) -> dict:
        """The account settings a city would configure (keys already read from their files)."""
        return {
            "appid": self.appid,
            "app_private_key": pem_private(self.app_key),
            "alipay_public_key": pem_public(self.alipay_key),
            "return_url": "https://shop.example/orders",
            "timeout": 5,
        }

    def _sign(self, text: str) -> str:
        signature = self.alipay_key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode()

    def verified(self, params: dict[str, str]) -> bool:
        """Whether the app signed these parameters (RSA2 over the sorted k=v, sign left out)."""
        given = dict(params)
        sign = given.pop("sign", "")
        try:
            self.app_key.public_key().verify(
                base64.b64decode(sign), _text(given).encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except Exception:
            return False
        return given.get("app_id") == self.appid and given.get("sign_type") == "RSA2"

    # -- the HTTP side ----------------------------------------------------------------------

    def __call__(self, request: Request) -> Reply:
        url = urlsplit(request.path)
        if request.headers.get("Host", "").startswith("dwbillcenter"):
            token = dict(parse_qsl(url.query)).get("token", "")
            return Reply(200, self.bills[token], {"Content-Type": "application/octet-stream"})
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        method = params.get("method", "")
        response = method.replace(".", "_") + "_response"
        if not self.verified(params):
            inner = {
                "code": "40002",
                "msg": "Invalid Arguments",
                "sub_code": "isv.invalid-signature",
            }
            return self._answer("error_response", inner)
        biz = json.loads(params.get("biz_content", "{}"))
        handler = {
            "alipay.trade.query": self._query,
            "alipay.trade.close": self._close,
            "alipay.trade.refund": self._refund,
            "alipay.trade.fastpay.refund.query": self._refund_query,
            "alipay.data.dataservice.bill.downloadurl.query": self._bill,
        }[method]
        return self._answer(response, handler(biz))

    def _answer(self, response: str, inner: dict) -> Reply:
        text = json.dumps(inner, ensure_ascii=False, separators=(",", ":"))
        body = f'{{"{response}":{text},"sign":"{self._sign(text)}"}}'
        return Reply(200, body.encode(), {"Content-Type": "text/html;charset=utf-8"})

    @staticmethod
    def _business(sub_code: str) -> dict:
        return {
            "code": "40004",
            "msg": "Business Failed",
            "sub_code": sub_code,
            "sub_msg": sub_code,
        }

    def _query(self, biz):
        trade = self.trades.get(biz["out_trade_no"])
        if trade is None:
            return self._business("ACQ.TRADE_NOT_EXIST")
        found = {
            "code": "10000",
            "msg": "Success",
            "out_trade_no": biz["out_trade_no"],
            "trade_no": trade["trade_no"],
            "trade_status": trade["status"],
            "total_amount": _yuan(trade["total"]),
        }
        if "paid_at" in trade:
            found["send_pay_date"] = _at(trade["paid_at"])
        return found

    def _close(self, biz):
        trade = self.trades.get(biz["out_trade_no"])
        if trade is None:
            return self._business("ACQ.TRADE_NOT_EXIST")
        if trade["status"] != "WAIT_BUYER_PAY":
            return self._business("ACQ.TRADE_STATUS_ERROR")
        trade["status"] = "TRADE_CLOSED"
        return {"code": "10000", "msg": "Success", "out_trade_no": biz["out_trade_no"]}

    def _refund(self, biz):
        trade = self.trades.get(biz["out_trade_no"])
        if trade is None or trade["status"] != "TRADE_SUCCESS":
            return self._business("ACQ.TRADE_STATUS_ERROR")
        number = biz["out_request_no"]
        fund_change = "N" if number in self.refunds else "Y"
        self.refunds.setdefault(
            number,
            {
                "out_trade_no": biz["out_trade_no"],
                "amount": round(float(biz["refund_amount"]) * 100),
                "at": self.clock(),
            },
        )
        total = sum(
            r["amount"] for r in self.refunds.values() if r["out_trade_no"] == biz["out_trade_no"]
        )
        return {
            "code": "10000",
            "msg": "Success",
            "out_trade_no": biz["out_trade_no"],
            "trade_no": trade["trade_no"],
            "refund_fee": _yuan(total),
            "fund_change": fund_change,
        }

    def _refund_query(self, biz):
        refund = self.refunds.get(biz["out_request_no"])
        if refund is None or refund["out_trade_no"] != biz.get("out_trade_no"):
            return {"code": "10000", "msg": "Success"}  # Alipay's way of "no such refund"
        trade = self.trades[refund["out_trade_no"]]
        return {
            "code": "10000",
            "msg": "Success",
            "out_request_no": biz["out_request_no"],
            "out_trade_no": refund["out_trade_no"],
            "refund_amount": _yuan(refund["amount"]),
            "total_amount": _yuan(trade["total"]),
            "refund_status": "REFUND_SUCCESS",
        }

    def _bill(self, biz):
        token = secrets.token_hex(8)
        self.bills[token] = self.bill_zip(biz["bill_date"])
        query = urlencode({"token": token})
        url = f"https://dwbillcenter.alipay.com/downloadBillFile.resource?{query}"
        return {"code": "10000", "msg": "Success", "bill_download_url": url}

    def bill_zip(self, day: str) -> bytes:
        """The day's bill as Alipay zips it."""
        rows = [
            (trade["trade_no"], number, "交易", trade["paid_at"], trade["total"], "")
            for number, trade in self.trades.items()
            if "paid_at" in trade
        ]
        for number, refund in self.refunds.items():
            trade_no = self.trades[refund["out_trade_no"]]["trade_no"]
            rows.append(
                (trade_no, refund["out_trade_no"], "退款", refund["at"], -refund["amount"], number)
            )
        return alipay_bill_zip.bill_zip(self.appid, day, rows)

    # -- what the test makes happen -------------------------------------------------------

    def buyer_opens(self, pay_url: str) -> dict:
        """The buyer opens the wap pay URL: Alipay checks its signature and opens the trade."""
        params = dict(parse_qsl(urlsplit(pay_url).query, keep_blank_values=True))
        assert self.verified(params), "the pay URL's signature does not verify"
        biz = json.loads(params["biz_content"])
        self.trades.setdefault(
            biz["out_trade_no"],
            {
                "trade_no": "2026" + secrets.token_hex(12),
                "total": round(float(biz["total_amount"]) * 100),
                "status": "WAIT_BUYER_PAY",
                "notify_url": params.get("notify_url"),
                "time_expire": biz.get("time_expire"),
                "product_code": biz.get("product_code"),
            },
        )
        return params

    def pay(self, out_trade_no: str, at: datetime) -> bytes:
        """The buyer pays: the trade succeeds, and Alipay's notification's form body."""
        trade = self.trades[out_trade_no]
        trade.update(status="TRADE_SUCCESS", paid_at=at)
        return self.notification(
            out_trade_no, {"trade_status": "TRADE_SUCCESS", "gmt_payment": _at(at)}
        )

    def notification(self, out_trade_no: str, fields: dict[str, str], key=None) -> bytes:
        """A form notification of the trade, signed as Alipay signs (sign, sign_type left out)."""
        trade = self.trades[out_trade_no]
        params = {
            "notify_time": _at(datetime.now(CHINA)),
            "notify_type": "trade_status_sync",
            "notify_id": secrets.token_hex(16),
            "app_id": self.appid,
            "charset": "utf-8",
            "version": "1.0",
            "trade_no": trade["trade_no"],
            "out_trade_no": out_trade_no,
            "total_amount": _yuan(trade["total"]),
            "buyer_id": "2088102177846880",
            "seller_id": "2088101117955611",
            "subject": "小时达订单",
            **fields,
        }
        signer = key or self.alipay_key
        signature = signer.sign(_text(params).encode(), padding.PKCS1v15(), hashes.SHA256())
        params.update(sign_type="RSA2", sign=base64.b64encode(signature).decode())
        return urlencode(params).encode()
