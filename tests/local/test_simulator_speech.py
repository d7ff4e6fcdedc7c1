"""`ivr call --say`: words answer the next <Gather> like Twilio's speech recognition, in the
order given with `--press`; words to a question of keys are lost; bad words are one line."""

from __future__ import annotations

import json

import pytest

from ivr.cli import main
from tests.helpers import MENU_FR, TwiML

MONDAY = "2026-12-07T09:00:00+01:00"


def steps(runner, *args: str) -> list[dict]:  # type: ignore[no-untyped-def]
    result = runner.invoke(main, ["call", "--at", MONDAY, *args, "--json"])
    assert result.exit_code == 0, result.output
    data: list[dict] = json.loads(result.output)["steps"]  # type: ignore[type-arg]
    return data


def test_say_answers_the_id_question_with_speech_result_and_confidence(runner):
    found = steps(runner, "--press", "-", "--say", "mille un", "--press", "1")
    answer, after = found[2], found[2:]
    assert answer["params"]["SpeechResult"] == "mille un"
    assert answer["params"]["Confidence"] == "0.95"
    assert "Digits" not in answer["params"]
    assert any(text.startswith(MENU_FR) for text in TwiML(answer["twiml"]).said())
    assert after[1]["params"]["Digits"] == "1"  # the menu, answered by the next --press


def test_say_and_press_answer_in_the_order_given(runner):
    # a low confidence: read back, then 1 confirms; the order decides which question gets what
    found = steps(runner, "--press", "-", "--say", "mille un@0.3", "--press", "1",
                  "--press", "1")
    assert found[2]["params"]["Confidence"] == "0.3"
    assert TwiML(found[2]["twiml"]).said()[-1].startswith("Vous avez dit 1, 0, 0, 1.")
    assert found[3]["params"]["Digits"] == "1"
    assert any(text.startswith(MENU_FR) for text in TwiML(found[3]["twiml"]).said())


def test_words_to_a_question_of_keys_are_lost(runner):
    result = runner.invoke(main, ["call", "--at", MONDAY, "--say", "neuf", "--press", "-"])
    assert result.exit_code == 0, result.output
    assert '  > said "neuf" (not heard: this question takes keys)' in result.output
    found = steps(runner, "--say", "neuf", "--press", "-")
    assert "SpeechResult" not in found[1]["params"]  # the greeting timed out, in French
    assert TwiML(found[1]["twiml"]).languages() == ["fr-FR"]


@pytest.mark.parametrize(("words", "reason"), [
    ("", "no words to say"), ("mille un@1.2", "from 0 to 1"),
    ("mille un@sure", "a number from 0 to 1"),
])
def test_bad_words_are_one_line_and_exit_2(runner, words, reason):
    result = runner.invoke(main, ["call", "--at", MONDAY, "--say", words])
    assert result.exit_code == 2
    assert "Invalid value for '--say'" in result.output and reason in result.output
    assert "Traceback" not in result.output
