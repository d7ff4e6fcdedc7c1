"""A client id said aloud, as Twilio's speech recognition writes it (`SpeechResult`), back
to its digits: French and English number words ("mille un", "ten oh one"), digit by digit
("un zéro zéro un"), "double"/"triple", hesitations, and digits already in the text ("1001.",
"10 01"). The two languages are read together: their number words do not clash."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# words a caller puts around the number: hesitations, and "my client number is"
FILLERS = frozenset("""
    euh heu hum hmm mmh ben bah uh um umm er erm ah eh hm
    c est ce mon ma le la numero client identifiant id code mes alors voila oui
    s il vous plait merci donc
    my the is it its s number client id code please so yes well okay ok
    et and a
""".split())  # "et", "and", "a": "vingt et un", "a hundred and one"
UNITS = {
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7,
    "huit": 8, "neuf": 9,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "seven": 7, "eight": 8,
    "nine": 9,
}
ZEROS = frozenset({"zero", "oh", "o"})
TEENS = {
    "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15,
    "seize": 16,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
TENS = {
    "vingt": 20, "vingts": 20, "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60,
    "septante": 70, "huitante": 80, "octante": 80, "nonante": 90,
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}
# "dix" is the one teen that takes a unit after it: dix-sept (17), soixante-dix-neuf (79)
NUMBER_WORDS = ("unit", "teen", "dix", "tens")
HUNDREDS = frozenset({"cent", "cents", "hundred"})
THOUSANDS = frozenset({"mille", "thousand"})
REPEATS = {"double": 2, "triple": 3}
# between two digits, a dot or comma groups thousands ("1,001", "1.001"): it joins them
_GROUPED = re.compile(r"(?<=\d)[.,](?=\d)")
_WORDS = re.compile(r"[a-z]+|\d+")


@dataclass
class _Number:
    """A number being said: thousands done, the part below a thousand, the last word's kind."""

    total: int = 0
    part: int = 0
    last: str = ""
    teen_ok: bool = False  # soixante / quatre-vingt take dix-sept: 77, 97

    def value(self) -> str:
        return str(self.total + self.part)

    def takes(self, kind: str, value: int) -> bool:
        """Whether a word of this kind continues this number rather than starting another."""
        below = self.part % 100
        if kind == "unit":
            if self.last == "dix":
                return value >= 7  # dix-sept, dix-huit, dix-neuf
            return (self.last == "tens" and below % 10 == 0) or self.last in ("hundred",
                                                                             "thousand")
        if kind in ("teen", "dix"):
            return (self.last == "tens" and self.teen_ok) or self.last in ("hundred",
                                                                          "thousand")
        if kind == "tens":
            if value == 20 and self.last == "unit" and below == 4:
                return True  # quatre-vingt
            return self.last in ("hundred", "thousand")
        if kind == "hundred":
            return self.last in NUMBER_WORDS + ("thousand",) and self.part < 100
        if kind == "thousand":
            return self.last in NUMBER_WORDS + ("hundred",) and self.total == 0
        return False

    def add(self, kind: str, value: int) -> None:
        if kind == "tens" and value == 20 and self.last == "unit" and self.part % 100 == 4:
            self.part += 76  # quatre (4) vingt: 80
            self.teen_ok = True
        elif kind == "hundred":
            self.part = (self.part or 1) * 100
            self.teen_ok = False
        elif kind == "thousand":
            self.total, self.part = (self.part or 1) * 1000, 0
            self.teen_ok = False
        else:
            self.part += value
            self.teen_ok = kind == "tens" and value == 60
        self.last = kind


def words_of(text: str) -> list[str]:
    """The text in lower case without accents or punctuation, as words and digit groups."""
    plain = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return _WORDS.findall(_GROUPED.sub("", plain))


def digits_said(text: str | None) -> str | None:
    """The digits a caller said, in order; None when the text holds no number, or a word
    that is neither a number nor a filler (the caller said something else)."""
    if not text:
        return None
    out: list[str] = []
    current: _Number | None = None
    repeat = 1

    def close() -> None:
        nonlocal current
        if current is not None:
            out.append(current.value())
            current = None

    for word in words_of(text):
        if word in FILLERS:
            continue
        if word.isdigit():
            close()
            out.append(word * repeat)
            repeat = 1
            continue
        if word in REPEATS:
            close()
            repeat = REPEATS[word]
            continue
        if word in ZEROS:
            close()
            out.append("0" * repeat)
            repeat = 1
            continue
        kind, value = _kind(word)
        if kind is None:
            return None
        if repeat > 1 and kind == "unit":
            close()
            out.append(str(value) * repeat)
            repeat = 1
            continue
        repeat = 1
        if current is None or not current.takes(kind, value):
            close()
            current = _Number()
        current.add(kind, value)
    close()
    return "".join(out) or None


def _kind(word: str) -> tuple[str | None, int]:
    if word in UNITS:
        return "unit", UNITS[word]
    if word == "dix":
        return "dix", 10
    if word in TEENS:
        return "teen", TEENS[word]
    if word in TENS:
        return "tens", TENS[word]
    if word in HUNDREDS:
        return "hundred", 100
    if word in THOUSANDS:
        return "thousand", 1000
    return None, 0


def confidence(value: str | None) -> float:
    """Twilio's `Confidence` (0.0 to 1.0) as a number; 0 when absent or not a number."""
    try:
        found = float(value or "")
    except ValueError:
        return 0.0
    return found if 0.0 <= found <= 1.0 else 0.0

