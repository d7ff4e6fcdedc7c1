"""A scripted utterance among a simulated caller's presses: `say:mille un`, or with the
confidence Twilio's speech recognition reports, `say:mille un@0.42` (default 0.95). It answers
the next <Gather> with `SpeechResult` and `Confidence`, when that Gather listens for speech
(`input` holds `speech`); otherwise the words are lost and the Gather times out, as on Twilio."""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "say:"
DEFAULT_CONFIDENCE = 0.95
MAX_TEXT = 200


@dataclass(frozen=True)
class Utterance:
    text: str
    confidence: float = DEFAULT_CONFIDENCE

    def params(self) -> dict[str, str]:
        """Twilio's parameters for these words, heard by a <Gather>."""
        return {"SpeechResult": self.text, "Confidence": f"{self.confidence:g}"}

    def shown(self) -> str:
        return f'said "{self.text}"'


def is_utterance(item: str | None) -> bool:
    return bool(item) and item.startswith(PREFIX)  # type: ignore[union-attr]


def parse(item: str) -> Utterance:
    """`say:TEXT[@CONFIDENCE]` as an Utterance; ValueError saying what is wrong."""
    body = item[len(PREFIX):] if item.startswith(PREFIX) else item
    text, at, level = body.rpartition("@")
    if not at:
        text, level = body, ""
    text = " ".join(text.split())
    if not text:
        raise ValueError(f"{body!r}: no words to say")
    if len(text) > MAX_TEXT:
        raise ValueError(f"{text[:20]!r}...: at most {MAX_TEXT} characters")
    if not level:
        return Utterance(text)
    try:
        confidence = float(level)
    except ValueError:
        raise ValueError(f"{body!r}: the confidence after @ is a number from 0 to 1, "
                         f"got {level!r}") from None
    if not 0.0 <= confidence <= 1.0:
        raise ValueError(f"{body!r}: the confidence after @ is from 0 to 1, got {level}")
    return Utterance(text, confidence)


def problem(item: str) -> str | None:
    """Why `item` is not a valid utterance, or None."""
    try:
        parse(item)
    except ValueError as exc:
        return str(exc)
    return None


def listens(input_attr: str | None) -> bool:
    """Whether a <Gather> with this `input` hears speech (Twilio's default: dtmf only)."""
    return "speech" in (input_attr or "dtmf").split()
