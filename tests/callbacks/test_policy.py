"""Which numbers may be called back: the number table, the policy's own checks."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from callbacks.policy import Policy, check, spoken_end

HOTLINE = "+33825000463"

# (as typed or shown, what the policy makes of it) with the default policy: France only
TABLE = [
    # French mobiles and landlines, every usual form
    ("06 12 34 56 78", "+33612345678"),
    ("0612345678", "+33612345678"),
    ("06.12.34.56.78", "+33612345678"),
    ("06-12-34-56-78", "+33612345678"),
    ("+33 6 12 34 56 78", "+33612345678"),
    ("+33612345678", "+33612345678"),
    ("0033612345678", "+33612345678"),
    ("+33 (0)6 12 34 56 78", "+33612345678"),
    ("07 51 23 45 67", "+33751234567"),
    ("01 44 00 10 01", "+33144001001"),
    ("03 88 12 34 56", "+33388123456"),
    ("09 70 12 34 56", "+33970123456"),  # VoIP box lines are ordinary French numbers
    ("0800 12 34 56", "+33800123456"),  # toll-free: costs the caller nothing
    # premium rate (08 9x)
    ("0899 12 34 56", "premium_rate"),
    ("0891 23 45 67", "premium_rate"),
    ("08 97 12 34 56", "premium_rate"),
    # shared cost (0810, 0820, 0825), the hotline's own range among them
    ("0810 12 34 56", "shared_cost"),
    ("0820 12 34 56", "shared_cost"),
    ("0825 12 34 56", "shared_cost"),
    (HOTLINE, "shared_cost"),
    ("0806 12 34 56", "uan"),
    # international premium ranges, satellite, other countries
    ("+44 909 123 4567", "country"),
    ("+1 900 555 0123", "country"),
    ("+41 901 123 456", "country"),
    ("+32 902 12 345", "country"),
    ("+881 6 1234 5678", "country"),  # Iridium
    ("+882 16 1234 5678", "country"),  # Thuraya
    ("+870 7 7123 4567", "country"),  # Inmarsat
    ("+44 7911 123456", "country"),
    ("+262 262 12 34 56", "country"),  # La Réunion has its own country code
    # garbage
    ("", "invalid"),
    ("abc", "invalid"),
    ("123", "invalid"),
    ("0612", "invalid"),
    ("061234567899", "invalid"),
    ("07 00 12 34 56", "invalid"),
    ("+33 6 12", "invalid"),
    ("06 12 34 56 78 " * 5, "invalid"),
    ("\x00\x07", "invalid"),
]


@pytest.mark.parametrize(("typed", "expected"), TABLE)
def test_the_number_table_with_france_only(typed: str, expected: str) -> None:
    checked = Policy(own_numbers=(HOTLINE,)).check(typed)
    assert (checked.number or checked.refused) == expected


# with Great Britain, Switzerland and Belgium allowed, their costly ranges are still refused
WIDER = [
    ("+44 20 7946 0958", "+442079460958"),
    ("+44 7400 123456", "+447400123456"),
    ("+44 7911 123456", "country"),  # Guernsey: its own country code
    ("+44 909 123 4567", "premium_rate"),
    ("+44 70 1234 5678", "personal"),
    ("+44 55 1234 5678", "uan"),
    ("+44 7640 123456", "not_voice"),  # a pager
    ("+41 901 123 456", "premium_rate"),
    ("+41 860 123 456 789", "voicemail"),
    ("+32 902 12 345", "premium_rate"),
    ("+32 78 10 23 45", "uan"),
    ("+1 900 555 0123", "country"),
    ("+881 6 1234 5678", "country"),
]


@pytest.mark.parametrize(("typed", "expected"), WIDER)
def test_more_countries_never_open_their_costly_ranges(typed: str, expected: str) -> None:
    checked = Policy(countries=("FR", "GB", "CH", "BE")).check(typed)
    assert (checked.number or checked.refused) == expected


def test_the_hotlines_own_numbers_are_refused_even_when_callable() -> None:
    policy = Policy(own_numbers=("+33144001001",))
    assert policy.check("01 44 00 10 01").refused == "own"
    assert policy.check("01 44 00 10 02").number == "+33144001002"


def test_the_number_called_counts_as_our_own() -> None:
    assert Policy().check("01 44 00 10 01", also_own=["+33144001001"]).refused == "own"


def test_costly_reasons_are_spoken_as_one_group() -> None:
    assert check("0899 12 34 56").group == "costly"
    assert check("+33 6 12").group == "invalid"


def test_a_number_is_spoken_by_its_last_four_digits_in_pairs() -> None:
    assert spoken_end("+33612345678") == "56 78"
    assert spoken_end("12") == "12"


def test_retry_delays_repeat_the_last_one() -> None:
    policy = Policy(retry_delays=(300, 900))
    assert [policy.delay(n) for n in (1, 2, 3, 4)] == [300, 900, 900, 900]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("countries", ["FR", "XX"], "unknown country code 'XX'"),
    ("own_numbers", ["not a number"], "not a phone number"),
    ("retry_delays", [], "retry_delays"),
    ("retry_delays", [10], "retry_delays"),
    ("attempts", 0, "greater than or equal to 1"),
])
def test_a_bad_policy_is_refused_with_its_reason(field: str, value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Policy(**{field: value})
