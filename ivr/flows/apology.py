"""Answers that must not depend on Redis or the flow: the apology for an internal error."""

from __future__ import annotations

from ivr.flows import twiml_text

DEFAULT_MUSIC = "http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3"
APOLOGY = (
    ("Nous sommes désolés, une erreur technique nous empêche de traiter votre appel.",
     "fr-FR", "Polly.Lea-Neural"),
    ("We are sorry, a technical problem prevents us from handling your call.",
     "en-GB", "Polly.Amy-Neural"),
)
TRANSFER = (
    ("Nous vous transférons vers un conseiller.", "fr-FR", "Polly.Lea-Neural"),
    ("We are transferring you to an agent.", "en-GB", "Polly.Amy-Neural"),
)
LATER = (
    ("Merci de rappeler dans quelques minutes. Au revoir.", "fr-FR", "Polly.Lea-Neural"),
    ("Please call again in a few minutes. Goodbye.", "en-GB", "Polly.Amy-Neural"),
)


def apology(fallback_number: str | None) -> str:
    """Say sorry in French and English, then dial the fallback number or hang up."""
    response = twiml_text.Response()
    lines = APOLOGY + (TRANSFER if fallback_number else LATER)
    for text, language, voice in lines:
        response.say(text, language=language, voice=voice)
    if fallback_number:
        response.dial(fallback_number)
    else:
        response.hangup()
    return response.to_xml()
