"""Sign-in's outside parts, from the environment: the SMS sender and the rate-limit storage.

HD_SMS_SENDER (sink | aliyun, default sink); for sink HD_SMS_SINK_PATH (optional JSON-lines
file); for aliyun ALIYUN_ACCESS_KEY_ID, ALIYUN_ACCESS_KEY_SECRET, ALIYUN_SMS_SIGN_NAME,
ALIYUN_SMS_TEMPLATE_CODE and optionally ALIYUN_SMS_ENDPOINT, ALIYUN_SMS_PROTOCOL.
"""

import os

from flask import Flask, current_app

from service.auth.sms.base import SmsSender, make_sender

ALIYUN_OPTIONS = {
    "access_key_id": "ALIYUN_ACCESS_KEY_ID",
    "access_key_secret": "ALIYUN_ACCESS_KEY_SECRET",
    "sign_name": "ALIYUN_SMS_SIGN_NAME",
    "template_code": "ALIYUN_SMS_TEMPLATE_CODE",
    "endpoint": "ALIYUN_SMS_ENDPOINT",
    "protocol": "ALIYUN_SMS_PROTOCOL",
}


def sender_from_env(environ=os.environ) -> SmsSender:
    """The SMS sender the environment names (sink when none is named)."""
    kind = environ.get("HD_SMS_SENDER", "sink")
    if kind == "sink":
        return make_sender("sink", {"path": environ.get("HD_SMS_SINK_PATH") or None})
    if kind == "aliyun":
        options = {name: environ[var] for name, var in ALIYUN_OPTIONS.items() if environ.get(var)}
        return make_sender("aliyun", options)
    return make_sender(kind, {})


def install_sign_in(app: Flask) -> None:
    """Attach the SMS sender and the per-address rate limiter to the app."""
    from service.auth.limits import install_limiter

    app.extensions["hourdelivery.sms"] = sender_from_env()
    install_limiter(app)


def sms_sender() -> SmsSender:
    """The app's SMS sender (routes only)."""
    return current_app.extensions["hourdelivery.sms"]


def secret_key() -> str:
    """The app's secret key, which keys code HMACs and stored-secret encryption (routes only)."""
    return current_app.extensions["hourdelivery.settings"].secret_key


def demo_mode() -> bool:
    """HD_DEMO=1 (make run): the demo page may show a sink's code."""
    return current_app.extensions["hourdelivery.settings"].demo
