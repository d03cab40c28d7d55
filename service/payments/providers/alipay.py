"""Alipay (open platform, RSA2) through the maintained `python-alipay-sdk`.

The SDK signs every request, verifies every synchronous answer with Alipay's public key and
checks notifications' RSA2 signatures; this module maps Alipay's words onto the port's. Wap and
app payment need no call: the signed order string is the pay URL (wap) or the app SDK's
parameter. Keys arrive as settings (resolved from files or the environment), never logged.
"""

from datetime import date, datetime
from urllib.parse import parse_qsl
from urllib.request import urlopen
from zoneinfo import ZoneInfo

from alipay import AliPay, AliPayConfig
from alipay.exceptions import AliPayException

from service.payments.providers import alipay_bill
from service.payments.providers.base import (
    CLOSED,
    NOTPAY,
    PROCESSING,
    REFUND_SUCCESS,
    SUCCESS,
    Answer,
    Notification,
    NotificationRejected,
    PaymentProvider,
    Prepay,
    ProviderError,
    RefundState,
    TradeState,
)

CHINA = ZoneInfo("Asia/Shanghai")
GATEWAY = "https://openapi.alipay.com/gateway.do"
SANDBOX_GATEWAY = "https://openapi-sandbox.dl.alipaydev.com/gateway.do"  # the SDK's debug=True
TRADE_STATES = {
    "WAIT_BUYER_PAY": NOTPAY,
    "TRADE_SUCCESS": SUCCESS,
    "TRADE_FINISHED": SUCCESS,  # paid, and no refund possible any more
    "TRADE_CLOSED": CLOSED,  # closed unpaid, or paid and wholly refunded (we ask before closing)
}
NOT_EXIST = "ACQ.TRADE_NOT_EXIST"  # a wap/app trade exists only once the buyer opened it


def _fen(text: str | None) -> int:
    whole, _, part = (text or "0").strip().lstrip("-").partition(".")
    return int(whole or 0) * 100 + int((part + "00")[:2])


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA)


class AlipayProvider(PaymentProvider):
    """One app (appid) at Alipay, paying by wap (a pay URL) or app (an order string)."""

    kind = "alipay"
    methods = frozenset({"alipay"})

    def __init__(
        self,
        *,
        appid: str,
        app_private_key: str,
        alipay_public_key: str,
        debug: bool = False,
        return_url: str | None = None,
        timeout: float = 10,
    ):
        self._appid = str(appid)
        self._return_url = return_url
        self._gateway = SANDBOX_GATEWAY if debug else GATEWAY
        self._timeout = timeout
        self._sdk = AliPay(
            appid=self._appid,
            app_private_key_string=app_private_key,
            alipay_public_key_string=alipay_public_key,
            sign_type="RSA2",
            debug=debug,
            config=AliPayConfig(timeout=timeout),
        )

    @property
    def merchant(self) -> str:
        return self._appid

    def _api(self, name: str, **kwargs) -> dict:
        """A verified synchronous answer; ProviderError if unreachable or not verified."""
        try:
            return getattr(self._sdk, name)(**kwargs)
        except AliPayException as error:
            raise ProviderError(f"alipay {name} refused: {str(error)[:300]}") from error
        except Exception as error:  # network, timeout, a signature that does not verify
            raise ProviderError(f"alipay {name}: {type(error).__name__}") from error

    def create(self, request):
        """The wap pay URL and the app's order string (no call: both are signed here; Alipay
        takes the payer from its own cashier, so payer details are not sent)."""
        if request.method not in self.methods:
            raise ProviderError(f"alipay does not take {request.method}")
        common = {
            "subject": request.description[:256],
            "out_trade_no": request.out_trade_no,
            "total_amount": _yuan(request.amount_fen),
            "notify_url": request.notify_url,
            "time_expire": request.expire_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S"),
        }
        wap = self._sdk.api_alipay_trade_wap_pay(return_url=self._return_url, **common)
        app = self._sdk.api_alipay_trade_app_pay(**common)
        return Prepay(pay_url=f"{self._gateway}?{wap}", client_params={"order_string": app})

    def parse_notification(self, headers, body):
        """Verify the form-posted notification's RSA2 signature, then read it."""
        try:
            data = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError as error:
            raise NotificationRejected("malformed") from error
        sign = data.pop("sign", "")
        if not sign or data.get("app_id") != self._appid:
            raise NotificationRejected("bad_signature")
        try:
            verified = self._sdk.verify(dict(data), sign)
        except Exception as error:  # another sign_type, a signature that is not base64
            raise NotificationRejected("bad_signature") from error
        if not verified:
            raise NotificationRejected("bad_signature")
        try:
            return _notification(data)
        except (KeyError, ValueError) as error:
            raise NotificationRejected("malformed") from error

    def answer(self, ok):
        return Answer(200, "text/plain", b"success" if ok else b"fail")

    def query(self, out_trade_no):
        """The trade as Alipay has it (one Alipay does not know yet is unpaid)."""
        data = self._api("api_alipay_trade_query", out_trade_no=out_trade_no)
        if data.get("code") != "10000":
            if data.get("sub_code") == NOT_EXIST:
                return TradeState(out_trade_no=out_trade_no, status=NOTPAY)
            raise ProviderError(f"alipay query answered {data.get('sub_code')}")
        return TradeState(
            out_trade_no=out_trade_no,
            status=TRADE_STATES.get(data.get("trade_status", ""), NOTPAY),
            amount_fen=_fen(data.get("total_amount")),
            method="alipay",
            provider_trade_no=data.get("trade_no", ""),
            at=_when(data.get("send_pay_date")),
        )

    def close(self, out_trade_no):
        """Close the trade; a trade never opened cannot be paid after its time_expire."""
        data = self._api("api_alipay_trade_close", out_trade_no=out_trade_no)
        if data.get("code") == "10000":
            return TradeState(out_trade_no=out_trade_no, status=CLOSED)
        state = self.query(out_trade_no)
        if state.status == NOTPAY:
            return TradeState(out_trade_no=out_trade_no, status=CLOSED)
        return state

    def refund(self, *, out_trade_no, out_refund_no, amount_fen, total_fen, reason):
        """Refund under out_request_no (Alipay keeps one refund per number); answered at once."""
        data = self._api(
            "api_alipay_trade_refund",
            refund_amount=_yuan(amount_fen),
            out_trade_no=out_trade_no,
            out_request_no=out_refund_no,
            refund_reason=reason[:256],
        )
        if data.get("code") != "10000":
            raise ProviderError(f"alipay refund answered {data.get('sub_code')}")
        # fund_change N on a repeat of a refund already made: it is still made
        return RefundState(out_refund_no, REFUND_SUCCESS, amount_fen, data.get("fund_change", ""))

    def query_refund(self, out_refund_no):
        """The refund as Alipay has it (its number starts with the payment's number)."""
        out_trade_no = out_refund_no.partition("-")[0]
        data = self._api(
            "api_alipay_trade_fastpay_refund_query",
            out_request_no=out_refund_no,
            out_trade_no=out_trade_no,
        )
        if data.get("code") != "10000":
            raise ProviderError(f"alipay refund query answered {data.get('sub_code')}")
        found = data.get("refund_status") == "REFUND_SUCCESS" or (
            "refund_status" not in data and data.get("refund_amount")
        )
        status = REFUND_SUCCESS if found else PROCESSING
        return RefundState(out_refund_no, status, _fen(data.get("refund_amount")))

    def statement(self, day: date):
        """Ask the day's trade bill URL, download its zip and read the detail CSV."""
        data = self._api(
            "server_api",
            api_name="alipay.data.dataservice.bill.downloadurl.query",
            biz_content={"bill_type": "trade", "bill_date": day.isoformat()},
        )
        url = data.get("bill_download_url")
        if data.get("code") != "10000" or not url:
            raise ProviderError(f"alipay bill answered {data.get('sub_code')}")
        try:
            with urlopen(url, timeout=self._timeout) as response:
                raw = response.read()
        except OSError as error:
            raise ProviderError(f"alipay bill download: {type(error).__name__}") from error
        return alipay_bill.parse_zip(raw)


def _notification(data: dict[str, str]) -> Notification:
    common = {
        "merchant": data["app_id"],
        "out_trade_no": data["out_trade_no"],
        "method": "alipay",
        "provider_trade_no": data.get("trade_no", ""),
    }
    if data.get("out_biz_no") and data.get("refund_fee"):
        return Notification(
            kind="refund",
            status=REFUND_SUCCESS,
            amount_fen=_fen(data["refund_fee"]),
            out_refund_no=data["out_biz_no"],
            at=_when(data.get("gmt_refund")),
            **common,
        )
    return Notification(
        kind="payment",
        status=TRADE_STATES.get(data["trade_status"], NOTPAY),
        amount_fen=_fen(data["total_amount"]),
        at=_when(data.get("gmt_payment")),
        **common,
    )
