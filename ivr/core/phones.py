"""Phone numbers: parsing to E.164 and masking for logs."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

DEFAULT_REGION = "FR"


# a French number written the usual ways (01 44 00 10 01, +33 1 44 00 10 01, 0033144001001):
# phonenumbers would parse it to (33, the nine digits) and check them against its French
# patterns; doing both directly is 10 times cheaper, which counts when a client import parses
# hundreds of thousands (tests/core/test_phones.py checks both ways agree)
_FRENCH = re.compile(r"(?:\+33|0033|0)\s*(?:\(0\)\s*)?([1-9](?:[ .-]?[0-9]){8})")




def _french_valid() -> re.Pattern[str]:
    """What phonenumbers.is_valid_number checks of a French national number, as one pattern
    built from phonenumbers' own metadata: a known type's pattern (all are 9 digits)."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region("FR")
    assert meta is not None and meta.general_desc is not None
    types = [meta.premium_rate, meta.toll_free, meta.shared_cost, meta.voip,
             meta.personal_number, meta.pager, meta.uan, meta.voicemail, meta.fixed_line,
             meta.mobile]
    patterns = [d.national_number_pattern for d in types if d and d.national_number_pattern]
    lengths = {n for d in [meta.general_desc, *types] if d for n in (d.possible_length or ())}
    assert lengths == {9}, "French numbers are no longer all 9 digits: revise _french_valid"
    general = meta.general_desc.national_number_pattern
    return re.compile(f"(?=(?:{general})$)(?:{'|'.join(patterns)})")


_FRENCH_VALID = _french_valid()


@lru_cache(maxsize=8192)
def parse_phone(text: str, region: str = DEFAULT_REGION) -> str | None:
    """E.164 form of a phone number written any usual way, or None if it is not one."""
    french = _FRENCH.fullmatch(text.strip()) if region == "FR" else None
    if french:
        digits = re.sub(r"[ .-]", "", french.group(1))
        return f"+33{digits}" if _FRENCH_VALID.fullmatch(digits) else None
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
