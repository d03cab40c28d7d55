"""Alibaba Cloud SMS (Dysms) through its maintained SDK, `alibabacloud-dysmsapi20170525`.

The SDK signs the request and speaks the provider's protocol; this adapter only fills the
template. `endpoint` and `protocol` are options so tests can point it at a loopback stand-in.
"""

import json

from alibabacloud_dysmsapi20170525 import models
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi import models as openapi
from alibabacloud_tea_util import models as util

from service.auth.sms.base import SmsError, SmsMessage, SmsReceipt, SmsSender


class AliyunSender(SmsSender):
    kind = "aliyun"

    def __init__(
        self,
        *,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        template_code: str,
        endpoint: str = "dysmsapi.aliyuncs.com",
        protocol: str = "https",
        timeout_ms: int = 5000,
    ):
        config = openapi.Config(
            access_key_id=access_key_id,
            access_key_secret=access_key_secret,
            endpoint=endpoint,
            protocol=protocol,
            read_timeout=timeout_ms,
            connect_timeout=timeout_ms,
        )
        self.client = Client(config)
        self.sign_name = sign_name
        self.template_code = template_code

    def send_code(self, message: SmsMessage) -> SmsReceipt:
        """SendSms with the template's `code` parameter; SmsError unless the provider says OK."""
        request = models.SendSmsRequest(
            # Dysms takes mainland numbers without the country code.
            phone_numbers=message.phone.removeprefix("+86"),
            sign_name=self.sign_name,
            template_code=self.template_code,
            template_param=json.dumps({"code": message.code}),
        )
        try:
            options = util.RuntimeOptions(autoretry=False)
            answer = self.client.send_sms_with_options(request, options)
        except Exception as error:  # the SDK raises its own Tea exceptions and network errors
            raise SmsError(f"aliyun SendSms failed: {type(error).__name__}") from None
        body = answer.body
        if body is None or body.code != "OK":
            raise SmsError(f"aliyun SendSms refused: {getattr(body, 'code', None)}")
        return SmsReceipt(provider="aliyun", message_id=body.biz_id or body.request_id or "")
