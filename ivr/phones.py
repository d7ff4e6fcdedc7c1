"""Phone numbers: parsing to E.164 and masking for logs."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

DEFAULT_REGION = "FR"


@lru_cache(maxsize=8192)
def parse_phone(text: str, region: str = DEFAULT_REGION) -> str | None:
    """E.164 form of a phone number written any usual way, or None if it is not one."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask(value: str | None, keep: int = 2) -> str:
    """Hide all but the last `keep` characters of a phone number or client id, for logs."""
    if not value:
        return "-"
    if len(value) <= keep:
        return "*" * len(value)
    return "*" * (len(value) - keep) + value[-keep:]
