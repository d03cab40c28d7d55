"""Mobile numbers: one spelling (E.164) per number, and the masked form others see."""

import phonenumbers

from service.errors import InvalidInput

REGION = "CN"  # numbers written without a country code are mainland China's


def normalise_phone(text: str) -> str:
    """E.164 of a mobile number as people type it (+86 138…, 0086…, spaced, full-width)."""
    try:
        number = phonenumbers.parse(text or "", REGION)
    except phonenumbers.NumberParseException:
        number = None
    kinds = phonenumbers.PhoneNumberType
    mobile = (kinds.MOBILE, kinds.FIXED_LINE_OR_MOBILE)
    if (
        number is None
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) not in mobile
    ):
        raise InvalidInput("not a mobile number", field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def try_normalise(text: str) -> str | None:
    """normalise_phone, or None for a value that is not a mobile number."""
    try:
        return normalise_phone(text)
    except InvalidInput:
        return None


def mask_phone(phone: str | None) -> str | None:
    """138****1234: the national number with its middle four digits hidden."""
    if not phone:
        return phone
    digits = phone.removeprefix("+86") if phone.startswith("+86") else phone.lstrip("+")
    if len(digits) < 8:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"
