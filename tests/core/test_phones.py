"""Phone numbers: the fast path for French numbers agrees with phonenumbers everywhere."""

from __future__ import annotations

import itertools

import phonenumbers
import pytest

from ivr.core.phones import mask, parse_phone


def by_phonenumbers(text: str) -> str | None:
    try:
        number = phonenumbers.parse(text, "FR")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# every French prefix of three digits, each with a few endings and written four ways
NATIONAL = [f"{prefix:03d}{ending}" for prefix in range(100, 1000)
            for ending in ("000000", "123456", "999999")]
WRITTEN = ["0{}", "+33{}", "0033 {}", "+33 (0){}"]


@pytest.mark.parametrize("form", WRITTEN)
def test_french_numbers_are_read_as_phonenumbers_reads_them(form):
    texts = [form.format(n) for n in NATIONAL]
    assert [parse_phone(t) for t in texts] == [by_phonenumbers(t) for t in texts]


@pytest.mark.parametrize("text", [
    "01 44 00 10 01", "01.44.00.10.01", "01-44-00-10-01", " 06 12 34 56 78 ", "+33 6 12 34 56 78",
    "0 800 123 456", "+44 20 7946 0958", "+1 212 555 0100", "12345", "", "abc", "01 44 00 10",
    "01 44 00 10 011",
])
def test_other_writings_agree_too(text):
    assert parse_phone(text) == by_phonenumbers(text)


def test_sample_is_not_trivial():
    valid = [n for n in NATIONAL if by_phonenumbers("0" + n)]
    assert 0 < len(valid) < len(NATIONAL)  # both valid and invalid numbers are compared


@pytest.mark.parametrize(("value", "masked"), [
    ("+33612345678", "**********78"), ("1001", "**01"), ("7", "*"), (None, "-"), ("", "-"),
])
def test_mask_keeps_the_last_two_characters(value, masked):
    assert mask(value) == masked


def test_mask_of_every_length_keeps_length():
    for length in range(1, 20):
        value = "".join(itertools.islice(itertools.cycle("0123456789"), length))
        assert len(mask(value)) == length
