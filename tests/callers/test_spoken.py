"""A client id said aloud back to its digits: French and English number words, digit by
digit, double/triple, hesitations, punctuation and digits in Twilio's SpeechResult."""

from __future__ import annotations

import pytest

from ivr.callers.spoken import confidence, digits_said

SAID = {
    # French: whole numbers
    "mille un": "1001",
    "mille deux cent trente-quatre": "1234",
    "deux mille six": "2006",
    "mille cent": "1100",
    "dix mille": "10000",
    "vingt et un": "21",
    "dix-sept": "17",
    "soixante et onze": "71",
    "soixante-dix-sept": "77",
    "quatre-vingts": "80",
    "quatre-vingt-un": "81",
    "quatre-vingt-dix-sept": "97",
    "septante-sept": "77",  # Belgium, Switzerland
    "cent": "100",
    # French: digit by digit, groups, repeats
    "un zéro zéro un": "1001",
    "un zero zero un": "1001",  # no accent
    "dix zéro un": "1001",
    "dix un": "101",
    "triple sept": "777",
    # English
    "ten oh one": "1001",
    "one thousand and one": "1001",
    "a hundred and one": "101",
    "twelve hundred": "1200",
    "nineteen oh five": "1905",
    "twenty twenty one": "2021",
    "ten seven": "107",  # "ten" takes no unit after it, unlike "dix"
    "double zero seven": "007",
    "one two three four": "1234",
    # hesitations, fillers, case, punctuation, digits Twilio already wrote
    "euh mille heu un": "1001",
    "um, one oh oh one": "1001",
    "c'est le mille un": "1001",
    "Mon numéro client est mille un.": "1001",
    "it's one zero zero one.": "1001",
    "Mille Un": "1001",
    "1001.": "1001",
    "10 01": "1001",
    "1,001": "1001",
    "1.001": "1001",
    "10-01": "1001",
    "0042": "0042",
}


@pytest.mark.parametrize("text", SAID)
def test_spoken_numbers_become_the_digits_said(text):
    assert digits_said(text) == SAID[text]


@pytest.mark.parametrize("text", ["", "   ", "euh", "je ne sais pas", "I don't know",
                                  "mille un s'il vous plaît madame", None])
def test_words_that_hold_no_number_or_something_else_give_none(text):
    assert digits_said(text) is None


@pytest.mark.parametrize(("value", "expected"), [
    ("0.9186", 0.9186), ("1", 1.0), ("0", 0.0), ("", 0.0), (None, 0.0), ("high", 0.0),
    ("1.5", 0.0), ("-0.2", 0.0), ("nan", 0.0),
])
def test_confidence_reads_twilios_value_and_nothing_else(value, expected):
    assert confidence(value) == expected
