"""Node identify with `speech: true`: the Gather listens for words in the caller's language,
a spoken id is accepted when heard with confidence, read back for a key when heard with little
or when unknown, counted by the guard like a typed one, and refused in the flow file when its
options are wrong."""

from __future__ import annotations

import threading

import pytest

from ivr.callers import guard
from ivr.core.exceptions import FlowError
from ivr.flows.loader import parse
from tests.conftest import MONDAY_MORNING as MONDAY
from tests.flows.test_identify import (
    ASK_LICENCE,
    SHIPPED,
    UNCLEAR,
    answer,
    answer_url,
    at_id_prompt,
    licence_flow,  # noqa: F401  (a fixture)
    post,
    publish,
)
from tests.helpers import (
    ACME_PHONE,
    ASK_ID,
    INVALID,
    MENU_FR,
    NOT_IDENTIFIED,
    UNKNOWN_CALLER,
    TwiML,
)

READ_BACK_1001 = "Vous avez dit 1, 0, 0, 1. Pour confirmer, tapez 1. Pour le redire, tapez 2."
READ_BACK_9999 = "Vous avez dit 9, 9, 9, 9. Pour confirmer, tapez 1. Pour le redire, tapez 2."


def failures(r, number: str = UNKNOWN_CALLER) -> int:  # type: ignore[no-untyped-def]
    return int(r.zcard(guard.NUMBER_FAILS_KEY.format(number)))


def say(client, validator, params, doc: TwiML, words: str,  # type: ignore[no-untyped-def]
        level: str = "0.93") -> TwiML:
    """Twilio's request when the caller says `words` to the current <Gather>."""
    return answer(client, validator, params, doc, SpeechResult=words, Confidence=level)


def identified(doc: TwiML) -> bool:
    return any(text.startswith(MENU_FR) for text in doc.said())


def reads_back(doc: TwiML, text: str) -> bool:
    gather = doc.one("Gather")
    return (doc.said()[-1] == text and gather.get("numDigits") == "1"
            and gather.get("input") == "dtmf")


# -- listening -----------------------------------------------------------------------------


def test_the_id_question_listens_for_speech_in_the_callers_language(client, validator):
    params, doc = at_id_prompt(client, validator)
    gather = doc.one("Gather")
    assert gather.get("input") == "dtmf speech"
    assert gather.get("language") == "fr-FR"
    assert gather.get("speechTimeout") == "auto"
    assert gather.get("speechModel") == "phone_call"
    assert gather.get("hints") == "$OOV_CLASS_DIGIT_SEQUENCE"
    assert gather.get("finishOnKey") == "#"  # keys still work
    # a caller who chose English is listened to in English
    greeting = post(client, validator, "/voice/incoming", {**params, "CallSid": "CA-english"})
    english = post(client, validator, answer_url(greeting),
                   {**params, "CallSid": "CA-english", "Digits": "9"})
    assert english.one("Gather").get("language") == "en-GB"


def test_speech_is_off_unless_the_flow_turns_it_on(app, client, validator):
    def off(data):  # type: ignore[no-untyped-def]
        del data["nodes"]["identify"]["speech"]

    publish(app, off)
    params, doc = at_id_prompt(client, validator)
    gather = doc.one("Gather")
    assert gather.get("input") == "dtmf"
    assert gather.get("language") is None and gather.get("speechTimeout") is None
    # words reaching a node that does not listen: the question again, no id guessed
    doc = say(client, validator, params, doc, "mille un")
    assert doc.said() == [INVALID, ASK_ID]
    assert failures(app.extensions["ivr"].redis) == 0


# -- heard with confidence, read back, confirmed ---------------------------------------------


@pytest.mark.parametrize("words", ["mille un", "un zéro zéro un", "euh... mille, heu, un",
                                   "ten oh one", "1001.", "10 01"])
def test_a_known_id_heard_with_confidence_identifies_the_caller(client, validator, words):
    params, doc = at_id_prompt(client, validator)
    doc = say(client, validator, params, doc, words)
    assert identified(doc)


def test_a_known_id_heard_with_little_confidence_is_read_back_then_confirmed(client, validator):
    params, doc = at_id_prompt(client, validator)
    doc = say(client, validator, params, doc, "mille un", level="0.41")
    assert reads_back(doc, READ_BACK_1001)
    doc = answer(client, validator, params, doc, Digits="1")
    assert identified(doc)


def test_a_threshold_of_the_flow_decides_what_is_read_back(app, client, validator):
    def strict(data):  # type: ignore[no-untyped-def]
        data["nodes"]["identify"]["min_confidence"] = 0.95

    publish(app, strict)
    params, doc = at_id_prompt(client, validator)
    assert reads_back(say(client, validator, params, doc, "mille un", level="0.93"),
                      READ_BACK_1001)
    params, doc = at_id_prompt(client, validator, sid="CA-sure")
    assert identified(say(client, validator, params, doc, "mille un", level="0.96"))


def test_no_confidence_at_all_is_read_back(client, validator):
    params, doc = at_id_prompt(client, validator)
    doc = answer(client, validator, params, doc, SpeechResult="mille un")
    assert reads_back(doc, READ_BACK_1001)


def test_say_it_again_asks_again_and_uses_an_attempt(client, validator):
    params, doc = at_id_prompt(client, validator)
    for _ in range(2):
        doc = say(client, validator, params, doc, "mille un", level="0.3")
        assert reads_back(doc, READ_BACK_1001)
        doc = answer(client, validator, params, doc, Digits="2")
        assert doc.said() == [ASK_ID]
    doc = say(client, validator, params, doc, "mille un", level="0.3")
    doc = answer(client, validator, params, doc, Digits="2")
    assert doc.said() == [NOT_IDENTIFIED]  # three attempts, as with typed ids


def test_words_without_a_number_ask_again(client, validator):
    params, doc = at_id_prompt(client, validator)
    doc = say(client, validator, params, doc, "je ne sais plus")
    assert doc.said() == [UNCLEAR, ASK_ID]


# -- the guard ----------------------------------------------------------------------------------


def test_an_unknown_spoken_id_is_counted_when_heard_and_read_back(r, client, validator):
    params, doc = at_id_prompt(client, validator)
    doc = say(client, validator, params, doc, "neuf mille neuf cent quatre-vingt-dix-neuf")
    assert reads_back(doc, READ_BACK_9999)
    assert failures(r) == 1  # counted at once: reading back tells no more than a refusal
    doc = answer(client, validator, params, doc, Digits="1")
    assert doc.said() == [INVALID, ASK_ID]
    assert failures(r) == 1  # confirming it is not a second guess


def test_spoken_wrong_ids_lock_the_number_like_typed_ones(r, client, validator):
    for n in range(3):  # 5 failures lock: 2 spoken + 1 typed in each of the first calls
        params, doc = at_id_prompt(client, validator, sid=f"CA-guess-{n}")
        doc = say(client, validator, params, doc, f"neuf mille neuf cent {n + 1}")
        if n == 2:  # the fifth: locked at once, what a wrong last guess hears
            assert doc.said() == [INVALID, NOT_IDENTIFIED]
            break
        doc = answer(client, validator, params, doc, Digits="1")
        doc = say(client, validator, params, doc, f"huit mille {n + 1}")
        doc = answer(client, validator, params, doc, Digits="2")
    assert failures(r) == 5
    assert UNKNOWN_CALLER in guard.locked_numbers(r, MONDAY)
    # locked: even the right id, said with confidence, is refused without saying which
    params, doc = at_id_prompt(client, validator, sid="CA-after")
    assert doc.said() == [NOT_IDENTIFIED]


def test_the_same_spoken_answer_twice_at_once_counts_once(r, client, validator):
    params, doc = at_id_prompt(client, validator, sid="CA-twice")
    url = answer_url(doc)
    barrier = threading.Barrier(2)
    answers: list[TwiML] = []

    def send() -> None:
        barrier.wait()
        answers.append(post(client, validator, url,
                            {**params, "SpeechResult": "neuf mille", "Confidence": "0.9"}))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 2 and answers[0].said() == answers[1].said()
    assert answers[0].said()[-1].startswith("Vous avez dit 9, 0, 0, 0.")
    assert failures(r) == 1


def test_the_known_caller_may_say_the_confirm_key(client, validator):
    params, doc = at_id_prompt(client, validator, caller=ACME_PHONE)
    doc = say(client, validator, params, doc, "un")
    assert identified(doc)


# -- with the licence as a second factor -------------------------------------------------------


@pytest.mark.usefixtures("licence_flow")
def test_with_the_licence_a_spoken_id_leads_to_the_licence_known_or_not(r, client, validator):
    known_params, known = at_id_prompt(client, validator, sid="CA-known")
    unknown_params, unknown = at_id_prompt(client, validator, sid="CA-unknown")
    known = say(client, validator, known_params, known, "mille un")
    unknown = say(client, validator, unknown_params, unknown, "neuf mille")
    # an unknown id is not read back as such: nothing tells whether it exists
    assert known.said() == unknown.said() == [ASK_LICENCE]
    assert known.one("Gather").get("input") == "dtmf"  # licences are typed
    assert failures(r) == 0  # judged with the licence, as typed ids are
    doc = answer(client, validator, known_params, known, Digits="1001", FinishedOnKey="#")
    assert identified(doc)  # licence L-1001-A
    doc = answer(client, validator, unknown_params, unknown, Digits="1001", FinishedOnKey="#")
    assert doc.said() == [INVALID, ASK_ID]
    assert failures(r) == 1


@pytest.mark.usefixtures("licence_flow")
def test_with_the_licence_a_doubtful_spoken_id_is_read_back_then_the_licence_asked(
        client, validator):
    params, doc = at_id_prompt(client, validator)
    doc = say(client, validator, params, doc, "mille un", level="0.2")
    assert reads_back(doc, READ_BACK_1001)
    doc = answer(client, validator, params, doc, Digits="1")
    assert doc.said() == [ASK_LICENCE]
    doc = answer(client, validator, params, doc, Digits="1001", FinishedOnKey="#")
    assert identified(doc)


# -- the flow file -------------------------------------------------------------------------------


def shipped_with(old: str, new: str) -> str:
    text = SHIPPED.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new)


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("    readback_prompt: readback_client_id\n", "",
     "nodes.identify: speech: true needs a readback_prompt"),
    ("speech_timeout: auto", "speech_timeout: 0", "nodes.identify.speech_timeout"),
    ("min_confidence: 0.6", "min_confidence: 1.5", "nodes.identify.min_confidence"),
    ("speech: true", "speech: maybe", "nodes.identify.speech"),
    ('speech_hints: ["$OOV_CLASS_DIGIT_SEQUENCE"]', 'speech_hints: ["one, two"]',
     "nodes.identify.speech_hints.0"),
    ("readback_prompt: readback_client_id", "readback_prompt: readback_id",
     "nodes.identify.readback_prompt: unknown prompt 'readback_id'"),
])
def test_bad_speech_options_are_refused_with_their_place(old, new, expected):
    with pytest.raises(FlowError) as caught:
        parse(shipped_with(old, new), "flow.yaml")
    problems = caught.value.problems
    assert all(problem.startswith("line ") for problem in problems), problems
    assert any(expected in problem for problem in problems), problems

