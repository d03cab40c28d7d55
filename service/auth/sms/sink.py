"""The sink sender for demo mode and tests: sends nothing, keeps what it would have sent.

Each process keeps its last messages in memory; with `path` set, every message is also appended
to that file as a JSON line, so a test can read the codes a multi-worker server "sent".
"""

import json
import secrets
import threading
from collections import deque

from service.auth.sms.base import SmsMessage, SmsReceipt, SmsSender

_lock = threading.Lock()
SENT: deque[SmsMessage] = deque(maxlen=1000)


class SinkSender(SmsSender):
    kind = "sink"

    def __init__(self, path: str | None = None):
        self.path = path

    def send_code(self, message: SmsMessage) -> SmsReceipt:
        """Keep the message (and append it to `path`); the receipt shows the code."""
        with _lock:
            SENT.append(message)
            if self.path:
                with open(self.path, "a", encoding="utf-8") as out:
                    out.write(json.dumps({"phone": message.phone, "code": message.code}) + "\n")
        return SmsReceipt(provider="sink", message_id=secrets.token_hex(8), shown_code=message.code)


def last_code(phone: str, path: str | None = None) -> str | None:
    """The newest code kept for `phone` (from `path` when given, else this process's memory)."""
    if path:
        try:
            with open(path, encoding="utf-8") as lines:
                codes = [m["code"] for m in map(json.loads, lines) if m["phone"] == phone]
        except FileNotFoundError:
            return None
        return codes[-1] if codes else None
    with _lock:
        return next((m.code for m in reversed(SENT) if m.phone == phone), None)
