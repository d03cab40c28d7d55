"""WeChat Pay API v3 through the maintained `wechatpayv3` SDK, in public-key mode.

Public-key mode verifies WeChat's answers and notifications with the platform public key the
merchant downloads once from the merchant platform, so nothing is fetched at start. The SDK
signs every request, checks every answer's signature and decrypts the notifications' resource
(AES-256-GCM with the APIv3 key); this module only maps its JSON onto the port's dataclasses.
Keys arrive as settings (resolved from files or the environment) and are never logged.
"""

import gzip
import hashlib
import json
import secrets
import time
from datetime import date

from wechatpayv3 import WeChatPay, WeChatPayType

from service.payments.providers import wechat_bill
from service.payments.providers.base import (
    CLOSED,
    NOTPAY,
    Answer,
    NotificationRejected,
    PaymentProvider,
    Prepay,
    ProviderError,
    TradeState,
)
from service.payments.providers.wechatpay_v3_json import (
    CHINA,
    notification,
    refund,
    trade,
    wechat_headers,
)


class WechatPayV3Provider(PaymentProvider):
    """One direct merchant (mchid) at WeChat Pay, paying by H5 (or JSAPI given an openid)."""

    kind = "wechatpay_v3"
    methods = frozenset({"wechat"})

    def __init__(
        self,
        *,
        mchid: str,
        appid: str,
        private_key: str,
        cert_serial_no: str,
        apiv3_key: str,
        public_key: str,
        public_key_id: str,
        notify_url: str | None = None,
        client_ip: str = "127.0.0.1",
        timeout: float = 10,
        proxy: dict | None = None,
    ):
        self._mchid = mchid
        self._appid = appid
        self._client_ip = client_ip
        self._sdk = WeChatPay(
            wechatpay_type=WeChatPayType.H5,
            mchid=mchid,
            private_key=private_key,
            cert_serial_no=cert_serial_no,
            appid=appid,
            apiv3_key=apiv3_key,
            notify_url=notify_url,
            proxy=proxy,
            timeout=timeout,
            public_key=public_key,
            public_key_id=public_key_id,
        )

    @property
    def merchant(self) -> str:
        return self._mchid

    def _call(self, name: str, *args, **kwargs) -> tuple[int, dict | bytes]:
        """The SDK's answer; ProviderError when WeChat cannot be reached or its answer fails."""
        try:
            code, text = getattr(self._sdk, name)(*args, **kwargs)
        except Exception as error:  # the SDK raises bare Exception (bad signature, network)
            raise ProviderError(f"wechatpay {name}: {type(error).__name__}") from error
        if isinstance(text, bytes) or not text:
            return code, text or {}
        try:
            return code, json.loads(text)
        except ValueError as error:
            raise ProviderError(f"wechatpay {name} answered {code}, not JSON") from error

    def _ok(self, name: str, *args, **kwargs) -> dict | bytes:
        code, data = self._call(name, *args, **kwargs)
        if not 200 <= code < 300:
            what = data.get("code", "") if isinstance(data, dict) else ""
            raise ProviderError(f"wechatpay {name} answered {code} {what}")
        return data

    def create(self, request):
        """H5 prepay (a pay_url), or JSAPI's signed client parameters when given an openid."""
        if request.method not in self.methods:
            raise ProviderError(f"wechatpay_v3 does not take {request.method}")
        common = {
            "description": request.description[:127],
            "out_trade_no": request.out_trade_no,
            "amount": {"total": request.amount_fen, "currency": "CNY"},
            "time_expire": request.expire_at.astimezone(CHINA).isoformat(timespec="seconds"),
            "notify_url": request.notify_url,
        }
        if request.payer_openid:
            payer = {"openid": request.payer_openid}
            data = self._ok("pay", **common, payer=payer, pay_type=WeChatPayType.JSAPI)
            return Prepay(provider_ref=data["prepay_id"], client_params=self._jsapi(data))
        ip = request.payer_ip or self._client_ip
        scene = {"payer_client_ip": ip, "h5_info": {"type": "Wap"}}
        data = self._ok("pay", **common, scene_info=scene, pay_type=WeChatPayType.H5)
        return Prepay(pay_url=data["h5_url"], client_params={"h5_url": data["h5_url"]})

    def _jsapi(self, data: dict) -> dict:
        """The parameters of WeixinJSBridge's getBrandWCPayRequest, signed with our key."""
        stamp, nonce = str(int(time.time())), secrets.token_hex(16)
        package = "prepay_id=" + data["prepay_id"]
        sign = self._sdk.sign([self._appid, stamp, nonce, package])
        return {
            "appId": self._appid,
            "timeStamp": stamp,
            "nonceStr": nonce,
            "package": package,
            "signType": "RSA",
            "paySign": sign,
        }

    def parse_notification(self, headers, body):
        """Check WeChat's signature, decrypt the resource, read a payment or refund result."""
        wanted = wechat_headers(headers)
        try:
            data = self._sdk.callback(wanted, body)
        except Exception as error:  # unknown signature type or algorithm
            raise NotificationRejected("bad_signature") from error
        if not data:
            raise NotificationRejected("bad_signature")
        try:
            return notification(data["event_type"], data["resource"])
        except (KeyError, TypeError, ValueError) as error:
            raise NotificationRejected("malformed") from error

    def answer(self, ok):
        if ok:
            return Answer(200, "application/json", b'{"code": "SUCCESS"}')
        body = json.dumps({"code": "FAIL", "message": "notification refused"}).encode()
        return Answer(400, "application/json", body)

    def query(self, out_trade_no):
        """The trade as WeChat has it (a trade WeChat does not know is unpaid)."""
        code, data = self._call("query", out_trade_no=out_trade_no)
        if code == 404:
            return TradeState(out_trade_no=out_trade_no, status=NOTPAY)
        if not 200 <= code < 300:
            raise ProviderError(f"wechatpay query answered {code}")
        return trade(data)

    def close(self, out_trade_no):
        """Close the trade, then ask its state (paid first stays SUCCESS)."""
        code, data = self._call("close", out_trade_no=out_trade_no)
        if not 200 <= code < 300 and data.get("code") != "ORDER_PAID":
            raise ProviderError(f"wechatpay close answered {code}")
        state = self.query(out_trade_no)
        if state.status == NOTPAY:  # closed a moment ago; WeChat's read may lag
            return TradeState(out_trade_no=out_trade_no, status=CLOSED)
        return state

    def refund(self, *, out_trade_no, out_refund_no, amount_fen, total_fen, reason):
        """Ask for a refund under out_refund_no (WeChat keeps one refund per number)."""
        data = self._ok(
            "refund",
            out_refund_no=out_refund_no,
            amount={"refund": amount_fen, "total": total_fen, "currency": "CNY"},
            out_trade_no=out_trade_no,
            reason=reason[:80] or None,
        )
        return refund(data)

    def query_refund(self, out_refund_no):
        """The refund as WeChat has it."""
        return refund(self._ok("query_refund", out_refund_no=out_refund_no))

    def statement(self, day: date):
        """Download the day's trade bill (gzip) and read it in WeChat's CSV layout."""
        bill = self._ok("trade_bill", bill_date=day.isoformat())
        raw = self._ok("download_bill", bill["download_url"])
        if isinstance(raw, dict):
            raise ProviderError("wechatpay bill download answered JSON")
        if hashlib.sha1(raw).hexdigest() != bill.get("hash_value", "").lower():
            raise ProviderError("wechatpay bill does not match its hash")
        return wechat_bill.parse(gzip.decompress(raw).decode("utf-8"))
