"""Callbacks' policy: which numbers the hotline may call back (parsed with `phonenumbers`,
never a costly one), how often, and how many times it tries.

Toll fraud is the risk: a callback to a premium-rate or foreign number costs the vendor money
every time it is dialled. So only the countries an admin allows, only ordinary lines (fixed,
mobile, VoIP, toll-free), and never the hotline's own numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers
from phonenumbers import SUPPORTED_REGIONS, PhoneNumberType
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ivr.core.phones import parse_phone

DEFAULT_REGION = "FR"

# types a person answers on, at an ordinary price
CALLABLE = frozenset({
    PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE,
    PhoneNumberType.VOIP, PhoneNumberType.TOLL_FREE,
})
# why a type is refused (the reason the caller hears)
REFUSED_TYPES = {
    PhoneNumberType.PREMIUM_RATE: "premium_rate",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.PERSONAL_NUMBER: "personal",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
    PhoneNumberType.PAGER: "not_voice",
    PhoneNumberType.UNKNOWN: "unknown_type",
}
# reasons that all mean "this kind of number costs money or reaches no person"
COSTLY = frozenset(REFUSED_TYPES.values())
REASONS = frozenset({"invalid", "country", "own", "too_many", *COSTLY})
# each refusal as a person reads it (the command line, the API, the console)
REFUSALS = {
    "invalid": "not a valid phone number", "country": "a country callbacks do not call",
    "own": "the hotline's own number", "too_many": "too many callbacks for it today",
    "premium_rate": "a premium-rate number", "shared_cost": "a shared-cost number",
    "personal": "a personal number", "uan": "a universal access number",
    "voicemail": "a voicemail access number", "not_voice": "not a voice line",
    "unknown_type": "a number of an unknown kind", "not_mobile": "not a mobile number",
}


def refusal(number: str, reason: str | None) -> str:
    """Why `number` is refused, in words: "'0899123456' is a premium-rate number"."""
    reason = reason or "invalid"
    return f"{number[:40]!r} is {REFUSALS.get(reason, reason)}"


@dataclass(frozen=True)
class Checked:
    """A number accepted (`number` in E.164) or refused (`refused`: one of REASONS)."""

    number: str | None = None
    refused: str | None = None

    @property
    def group(self) -> str | None:
        """The refusal as callers hear it: `costly` for every costly kind, else the reason."""
        return "costly" if self.refused in COSTLY else self.refused


def check(text: str | None, countries: Iterable[str] = (DEFAULT_REGION,),
          own: Iterable[str] = (), region: str = DEFAULT_REGION) -> Checked:
    """Parse a number as a caller types or shows it, and say whether it may be called back."""
    if not text or len(text) > 40:
        return Checked(refused="invalid")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return Checked(refused="invalid")
    if not phonenumbers.is_valid_number(number):
        return Checked(refused="invalid")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if phonenumbers.region_code_for_number(number) not in set(countries):
        return Checked(refused="country")
    kind = phonenumbers.number_type(number)
    if kind not in CALLABLE:
        return Checked(refused=REFUSED_TYPES.get(kind, "unknown_type"))
    if e164 in set(own):
        return Checked(refused="own")
    return Checked(number=e164)


def spoken_end(number: str | None) -> str:
    """The last four digits as said in pairs: '+33612345678' -> '56 78'."""
    digits = "".join(c for c in number or "" if c.isdigit())[-4:]
    return f"{digits[:2]} {digits[2:]}" if len(digits) == 4 else digits


class Policy(BaseModel):
    """What the flow says of callbacks: which numbers, how often, how many attempts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    countries: tuple[str, ...] = ("FR",)  # ISO codes of the countries that may be called
    own_numbers: tuple[str, ...] = ()  # the hotline's own numbers, never called back
    daily_cap: int = Field(default=3, ge=1, le=100)  # requests per number and day
    attempts: int = Field(default=3, ge=1, le=10)  # calls placed before giving up
    retry_delays: tuple[int, ...] = (300, 900)  # seconds before attempt 2, 3... (last repeats)
    ring_timeout: int = Field(default=30, ge=10, le=120)  # seconds the client's phone rings
    answer_timeout: int = Field(default=8, ge=3, le=30)  # seconds to press 1
    window_minutes: int = Field(default=30, ge=5, le=240)  # "between 8:30 and 9:00"

    @field_validator("countries")
    @classmethod
    def _countries(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for code in value:
            if code not in SUPPORTED_REGIONS:
                raise ValueError(f"unknown country code {code!r} (ISO 3166, e.g. FR, BE)")
        return value

    @field_validator("own_numbers")
    @classmethod
    def _own(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        numbers = []
        for text in value:
            number = parse_phone(text)
            if number is None:
                raise ValueError(f"not a phone number: {text!r}")
            numbers.append(number)
        return tuple(numbers)

    @field_validator("retry_delays")
    @classmethod
    def _delays(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or any(d < 30 or d > 86400 for d in value):
            raise ValueError("retry_delays: one or more delays of 30 to 86400 seconds")
        return value

    def check(self, number: str | None, also_own: Iterable[str | None] = ()) -> \
            Checked:
        """Whether `number` (typed or the caller ID) may be called back."""
        own = {*self.own_numbers, *(n for n in also_own if n)}
        return check(number, self.countries, own)

    def check_mobile(self, number: str | None, also_own: Iterable[str | None] = ()) -> Checked:
        """Whether `number` may get an SMS: a number that may be called back (countries,
        never costly nor ours) and a mobile one (refused `not_mobile`: a landline, VoIP...)."""
        checked = self.check(number, also_own)
        if checked.number is None:
            return checked
        kind = phonenumbers.number_type(phonenumbers.parse(checked.number))
        return checked if kind == PhoneNumberType.MOBILE else Checked(refused="not_mobile")

    def delay(self, attempt: int) -> int:
        """Seconds to wait after the failed attempt number `attempt` (1 for the first)."""
        return self.retry_delays[min(attempt, len(self.retry_delays)) - 1]
