"""The TwiML builder writes what twilio's VoiceResponse writes for the same calls: every
keyword argument the code passes, and text and attribute values that need escaping.
Each case makes the same calls on both and compares the two documents."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
from twilio.twiml.voice_response import VoiceResponse

from ivr.flows import twiml_text
from ivr.flows.twiml_text import Response

Calls = Callable[[Any], None]  # calls made on a response: ours, or twilio's

ACTION = "/voice/step?v=20261207T090000-1&n=menu&s=3"
WHISPER = "/voice/whisper?agent=sophie&e=CA1&r=res-1"

# strings that need care, in a <Say> and in attribute values
TRICKY = [
    "a & b", "<Hangup/>", "x > y", 'il dit "bonjour"', "l'appel", "line\nbreak", "tab\there",
    "carriage\rreturn", "crlf\r\nend", "📞 appel ☎️ 🇫🇷", "Rhône Énergie, ça coûte 5 € œuvre «oui»",
    "]]>", "&amp; already escaped", "&#10;", "\x7f\x01", "  spaces  ", "\u00a0insécable",
    "\u2028separator", "'\"'\"", "&<>\"'\n\t\r", "ÀÉÎÕÜ ß", "中文", "a" * 2000,
]


def both(calls: Calls, xml_declaration: bool = True) -> tuple[str, str]:
    """(ours, twilio's) after the same calls."""
    ours, theirs = Response(), VoiceResponse()
    calls(ours)
    calls(theirs)
    return ours.to_xml(xml_declaration), str(theirs.to_xml(xml_declaration))


def greeting(response: Any) -> None:
    gather = response.gather(input="dtmf", action=ACTION, method="POST",
                             action_on_empty_result=True, num_digits=1, timeout=3)
    gather.say("Bienvenue au support technique.", voice="Polly.Lea-Neural", language="fr-FR")
    gather.say("For English, press 9.", voice="Polly.Amy-Neural", language="en-GB")


# every verb and keyword argument the project's code passes (ivr/flows, ivr/flows/apology.py)
CODE_CALLS: dict[str, Calls] = {
    "greeting": greeting,
    "gather for a client id": lambda r: r.gather(
        input="dtmf", action=ACTION, method="POST", action_on_empty_result=True,
        finish_on_key="#", timeout=6).say("Votre numéro client ?", voice="V", language="fr-FR"),
    "gather while waiting": lambda r: r.gather(
        input="dtmf", num_digits=1, timeout=1, method="POST",
        action="/voice/wait?v=1&q=technical_support&l=fr").play("http://x/m.mp3"),
    "say": lambda r: r.say("Bonjour.", voice="Polly.Lea-Neural", language="fr-FR"),
    "say with a language only": lambda r: r.say("Cet appel a déjà été pris en charge.",
                                                language="fr-FR"),
    "play with a loop": lambda r: r.play("https://example.com/a.mp3?x=1&y=2", loop=3),
    "play": lambda r: r.play("http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3"),
    "record": lambda r: r.record(
        action=ACTION, method="POST", max_length=180, finish_on_key="#", play_beep=True,
        timeout=5, recording_status_callback="/voice/recording?l=fr",
        recording_status_callback_method="POST"),
    "redirect": lambda r: r.redirect("/voice/callback/request?v=1&n=callback&s=4",
                                     method="POST"),
    "enqueue": lambda r: r.enqueue("technical_support", wait_url="/voice/wait?v=1&q=t&l=fr",
                                   wait_url_method="POST", action=ACTION, method="POST"),
    "enqueue without a name": lambda r: r.enqueue(None, wait_url=None, action=ACTION),
    "dial a number": lambda r: r.dial("+33144009999", timeout=30, method="POST", action=ACTION),
    "dial a number, no action": lambda r: r.dial("+33144009999", timeout=30, method="POST"),
    "dial the fallback": lambda r: r.dial("+33144009999"),
    "dial an agent's number": lambda r: r.dial(
        action="/voice/dialed?e=CA1&r=res-1", method="POST", timeout=20,
    ).number("+33144002001", url=WHISPER, method="POST"),
    "dial an agent's sip": lambda r: r.dial(action="/voice/dialed?e=CA1&r=r", method="POST",
                                            timeout=20).sip("sip:eve@example.com;transport=tls",
                                                            url=WHISPER, method="POST"),
    "dial an agent's client": lambda r: r.dial(action="/d", method="POST", timeout=20).client(
        "tom", url=WHISPER, method="POST"),
    "hangup": lambda r: r.hangup(),
    "leave": lambda r: r.leave(),
    "pause": lambda r: r.pause(length=2),
}


@pytest.mark.parametrize("calls", CODE_CALLS.values(), ids=CODE_CALLS.keys())
def test_each_verb_the_code_uses_is_written_as_twilio_writes_it(calls: Calls) -> None:
    ours, theirs = both(calls)
    assert ours == theirs


def test_a_document_of_many_verbs_nested_and_appended_out_of_order() -> None:
    def calls(r: Any) -> None:
        r.say("Avant.", voice="V", language="fr-FR")
        gather = r.gather(input="dtmf", num_digits=1, action=ACTION)
        dial = r.dial(action="/d", timeout=20)
        gather.say("Dans le gather.", voice="V", language="fr-FR")  # added after the dial
        dial.number("+33144002001", url=WHISPER)
        gather.play("http://x/y.mp3", loop=2)
        gather.pause(length=1)
        dial.sip("sip:a@b.c", url=WHISPER)
        r.redirect(ACTION, method="POST")
        r.hangup()

    ours, theirs = both(calls)
    assert ours == theirs


@pytest.mark.parametrize("calls", [
    lambda r: None,
    lambda r: r.say(""),
    lambda r: r.say(None, voice="V"),
    lambda r: r.play(""),
    lambda r: r.gather(),
    lambda r: r.gather(action=ACTION).say(""),
    lambda r: r.dial(),
    lambda r: r.dial("", timeout=None),
    lambda r: r.dial().number(""),
    lambda r: r.redirect(""),
    lambda r: r.enqueue(""),
], ids=["empty response", "empty say", "say without text", "empty play", "empty gather",
        "gather holding an empty say", "empty dial", "dial of an empty number",
        "empty number", "empty redirect", "empty enqueue"])
def test_empty_texts_and_verbs_are_self_closing_as_twilio_writes_them(calls: Calls) -> None:
    ours, theirs = both(calls)
    assert ours == theirs


@pytest.mark.parametrize("value", [True, False, 0, 1, 20, 1.5, -1, "", "0", "POST"],
                         ids=repr)
def test_attribute_values_of_every_type_are_written_as_twilio_writes_them(value: Any) -> None:
    ours, theirs = both(lambda r: r.gather(action_on_empty_result=value, timeout=value,
                                           finish_on_key=value).say("x", loop=value))
    assert ours == theirs


def test_none_leaves_an_attribute_out_and_names_are_sorted_as_twilio_sorts_them() -> None:
    def calls(r: Any) -> None:
        r.gather(timeout=None, action=ACTION, num_digits=None, input="dtmf", method=None,
                 speech_timeout="auto", barge_in=False, action_on_empty_result=True)
        r.record(transcribe_callback=None, max_length=60, play_beep=False, trim="trim-silence")

    ours, theirs = both(calls)
    assert ours == theirs
    assert 'numDigits' not in ours


def test_keyword_names_become_twilio_attribute_names() -> None:
    """snake_case to camelCase as twilio-python does, its renames included."""
    def calls(r: Any) -> None:
        r.say("x", xml_lang="fr-FR", from_="a", for_="b", interpret_as="c", break_="d")
        r.dial("+33144009999", caller_id="+33825000463", hangup_on_star=True,
               recording_status_callback_event="completed absent", answer_on_bridge=True,
               ring_tone="fr", time_limit=60, record="record-from-answer")
        r.enqueue("q", max_queue_size=10, workflow_sid="WW1")
        r.play("x", digits="wwww3", some_new_attribute="1", camelAlready="2", x__y="3", _z="4")

    ours, theirs = both(calls)
    assert ours == theirs
    assert 'xml:lang="fr-FR"' in ours and 'callerId="+33825000463"' in ours


@pytest.mark.parametrize("text", TRICKY, ids=range(len(TRICKY)))
def test_text_is_escaped_as_elementtree_escapes_it(text: str) -> None:
    def calls(r: Any) -> None:
        r.say(text, voice="Polly.Lea-Neural", language="fr-FR")
        r.gather(action=ACTION).say(text)
        r.dial().number(text)
        r.dial(text)
        r.redirect(text)
        r.enqueue(text)

    ours, theirs = both(calls)
    assert ours == theirs


@pytest.mark.parametrize("value", TRICKY, ids=range(len(TRICKY)))
def test_attribute_values_are_escaped_as_elementtree_escapes_them(value: str) -> None:
    def calls(r: Any) -> None:
        r.say("x", voice=value, language=value)
        r.gather(action=f"/voice/step?x={value}", finish_on_key=value).play(value, loop=value)
        r.dial(action=value).client(value, url=value)
        r.redirect(value, method=value)

    ours, theirs = both(calls)
    assert ours == theirs


def test_lone_surrogates_become_character_references_as_in_twilio() -> None:
    """ElementTree encodes with xmlcharrefreplace: what UTF-8 cannot encode becomes &#NNNN;."""
    def calls(r: Any) -> None:
        r.say("half \ud83d of an emoji", voice="a\udc00b")

    ours, theirs = both(calls)
    assert ours == theirs
    assert "&#55357;" in ours


def test_random_strings_of_awkward_characters_match_twilio() -> None:
    alphabet = "ab &<>\"'\n\r\t;#=?/éÉœ€📞\u00a0\u2028\x00\x1f]!"
    rng = random.Random(11)  # the same strings on every run
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))

        def calls(r: Any, text: str = text, value: str = value) -> None:
            r.gather(action=value, num_digits=1).say(text, voice=value, language="fr-FR")
            r.play(text, loop=value)

        ours, theirs = both(calls)
        assert ours == theirs, (text, value)


def test_without_the_declaration_and_as_str() -> None:
    ours, theirs = both(greeting, xml_declaration=False)
    assert ours == theirs and ours.startswith("<Response>")
    response = Response()
    greeting(response)
    assert str(response) == response.to_xml() == twiml_text.DECLARATION + ours


def test_escaping_helpers_follow_elementtree() -> None:
    """The helpers themselves, against ElementTree's own (text: & < > only)."""
    import xml.etree.ElementTree as ET

    for value in TRICKY:
        element = ET.Element("Say", {"voice": value})
        element.text = value
        written = ET.tostring(element, encoding="unicode")
        assert written == (f'<Say voice="{twiml_text.escape_attribute(value)}">'
                           f"{twiml_text.escape_text(value)}</Say>")
