"""The one interface every SMS sender implements, and the lookup of senders by kind.

Kinds are entry points of the group `hourdelivery.sms_senders` (setup.cfg); this module never
imports its plugins, and no sender imports the rest of `service`.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

GROUP = "hourdelivery.sms_senders"


class SmsError(Exception):
    """The provider refused or could not be reached; the message never carries the number."""


@dataclass(frozen=True)
class SmsMessage:
    """A one-time code to deliver to a number (E.164); the template supplies the words."""

    phone: str
    code: str
    minutes_valid: int


@dataclass(frozen=True)
class SmsReceipt:
    """What the provider answered: its message id, and (sinks only) the text that was not sent."""

    provider: str
    message_id: str
    shown_code: str | None = None


class SmsSender(ABC):
    """Sends one-time codes by SMS."""

    kind: str = ""

    @abstractmethod
    def send_code(self, message: SmsMessage) -> SmsReceipt:
        """Deliver the code, or raise SmsError."""


def sender_class(kind: str) -> type[SmsSender]:
    """The sender class registered under `kind`; KeyError if none is."""
    for point in entry_points(group=GROUP):
        if point.name == kind:
            return point.load()
    raise KeyError(f"no SMS sender {kind!r}")


def make_sender(kind: str, options: dict[str, Any]) -> SmsSender:
    """A sender of `kind` built from its options (environment-derived settings)."""
    return sender_class(kind)(**options)
