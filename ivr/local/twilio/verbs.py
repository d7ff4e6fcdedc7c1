"""TwiML verbs that involve one call: Say, Play, Pause, Gather, Record, Redirect, Hangup..."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

from ivr.local import utterance
from ivr.local.twilio.model import HungUp, new_sid
from ivr.local.twilio.runner import Runner
from ivr.local.twilio.twiml import (
    PLAY_SECONDS,
    Doc,
    End,
    LeaveQueue,
    Next,
    Outcome,
    TwimlError,
    int_attr,
    loops,
    method_of,
    say_seconds,
    text_of,
)
from ivr.local.twilio.webhooks import path_of

TYPING_SECONDS = 1.0  # a caller takes this long to type the keys of one <Gather>
SPEECH_END_SECONDS = 1.0  # silence after the last word before Twilio ends the speech
INTERACTIVE_WAIT = 600.0  # a person at a terminal gets this long to answer a <Gather>
Stop = Callable[[], bool] | None


def say(run: Runner, verb: ET.Element, doc: Doc, stop: Stop = None) -> Outcome:
    text, count = text_of(verb), loops(verb)
    run.emit("say", text=text, language=verb.get("language", ""), voice=verb.get("voice", ""),
             loop=count)
    run.wait(say_seconds(text) * count, stop)
    return None


def play(run: Runner, verb: ET.Element, doc: Doc, stop: Stop = None) -> Outcome:
    count = loops(verb)
    run.emit("play", url=text_of(verb), loop=count)
    run.wait(PLAY_SECONDS * count, stop)
    return None


def pause(run: Runner, verb: ET.Element, doc: Doc, stop: Stop = None) -> Outcome:
    length = int_attr(verb, "length", 1, 0, 3600)
    run.emit("pause", length=length)
    run.wait(length, stop)
    return None


def redirect(run: Runner, verb: ET.Element, doc: Doc) -> Outcome:
    url = doc.resolve(verb.text)
    if url is None:
        raise TwimlError("<Redirect> without a URL")
    return Next(url, method_of(verb), {}, "redirect")


def hangup(run: Runner, verb: ET.Element, doc: Doc) -> Outcome:
    return End()


def reject(run: Runner, verb: ET.Element, doc: Doc) -> Outcome:
    return End("busy" if verb.get("reason") == "busy" else "no-answer")


def leave(run: Runner, verb: ET.Element, doc: Doc) -> Outcome:
    raise LeaveQueue()


def gather(run: Runner, verb: ET.Element, doc: Doc) -> Outcome:
    """Play the nested prompts, then take the caller's keys (or time out)."""
    call = run.call
    num = int_attr(verb, "numDigits", 0, 0, 100)
    finish = verb.get("finishOnKey", "#")
    timeout = int_attr(verb, "timeout", 5, 0, 600)
    action, method = doc.resolve(verb.get("action")) or doc.url, method_of(verb)
    listens = utterance.listens(verb.get("input"))
    run.emit("gather", numDigits=num or None, finishOnKey=finish, timeout=timeout,
             action=path_of(action), input=verb.get("input", "dtmf"))
    call.gather_open = True
    try:
        for inner in verb:
            if inner.tag not in PROMPTS:
                raise TwimlError(f"<{inner.tag}> cannot be nested in <Gather>")
            PROMPTS[inner.tag](run, inner, doc, lambda: bool(call.digits))
            if call.digits:
                break
        if call.presses and utterance.is_utterance(call.presses[0]):
            words = utterance.parse(call.presses.popleft())
            if listens:
                run.wait(say_seconds(words.text) + SPEECH_END_SECONDS)
                run.emit("speech", text=words.text, confidence=words.confidence)
                return Next(action, method, words.params(), "action")
            run.emit("speech_lost", text=words.text)  # a Gather of keys hears no words
            run.wait(timeout)
            keys = None
        else:
            keys = caller_keys(run, timeout, num, finish)
    finally:
        call.gather_open = False
    if keys is None:
        run.emit("gather_timeout")
        if verb.get("actionOnEmptyResult") == "true":
            return Next(action, method, {}, "action")
        return None
    run.emit("digits", digits=keys)
    return Next(action, method, gathered(keys, num, finish), "action")


def caller_keys(run: Runner, timeout: float, num: int, finish: str) -> str | None:
    """The keys typed for one <Gather>: the next scripted press ("-": none; "say:..." words
    are taken by `gather`), or keys typed
    live through the device API; None when the Gather times out."""
    call = run.call
    typed = lambda: bool(call.digits)  # noqa: E731
    if call.presses:
        keys: str | None = call.presses.popleft()
        if keys == "-":
            run.wait(timeout)
            return None
        run.wait(TYPING_SECONDS)
    elif call.interactive:
        run.emit("listening")  # a person at a terminal is asked for keys now
        if not run.wait(INTERACTIVE_WAIT, typed):
            return None
        keys = call.digits.popleft()
    elif run.wait(timeout, typed):
        keys = call.digits.popleft()
    else:
        return None
    if keys and not ((finish and finish in keys) or (num and len(keys) >= num)):
        run.wait(timeout)  # Twilio waits `timeout` after the last key before it submits
    return keys or None


def gathered(keys: str, num: int, finish: str) -> dict[str, str]:
    """Twilio's parameters for keys typed into a Gather."""
    params: dict[str, str] = {}
    if finish and finish in keys:
        keys = keys.split(finish, 1)[0]
        params["FinishedOnKey"] = finish
    if num:
        keys = keys[:num]
    params["Digits"] = keys
    return params


def record(run: Runner, verb: ET.Element, doc: Doc) -> Outcome:
    """The caller speaks for their `record_seconds`, then silence ends the recording."""
    call, world = run.call, run.world
    action, method = doc.resolve(verb.get("action")) or doc.url, method_of(verb)
    max_length = int_attr(verb, "maxLength", 3600, 1, 14400)
    silence = int_attr(verb, "timeout", 5, 0, 600)
    sid, started = new_sid("RE"), run.now()
    run.emit("record", action=path_of(action), url=action, maxLength=max_length,
             recording=sid)
    spoken = min(float(max_length), call.record_seconds)
    hung_up: HungUp | None = None
    try:
        run.wait(spoken)
        run.wait(silence if spoken < max_length else 0)
    except HungUp as exc:
        hung_up = exc
    duration = int(min(run.now() - started, spoken))
    if duration <= 0 and hung_up is None:
        return None  # nothing recorded: Twilio goes on with the next verb
    world.recordings[sid] = duration
    url = f"{world.base_url}/2010-04-01/Accounts/{call.account_sid}/Recordings/{sid}"
    params = {"RecordingUrl": url, "RecordingDuration": str(duration), "RecordingSid": sid}
    callback = doc.resolve(verb.get("recordingStatusCallback"))
    if callback:
        run.notify(callback, method_of(verb, "recordingStatusCallbackMethod"), {
            **params, "RecordingStatus": "completed", "RecordingChannels": "1",
            "RecordingSource": "RecordVerb", "RecordingTrack": "inbound"}, "recording")
    if hung_up is not None:
        run.notify(action, method, {**params, "Digits": "hangup"}, "action")
        raise hung_up
    return Next(action, method, params, "action")


PROMPTS: dict[str, Callable[[Runner, ET.Element, Doc, Stop], Outcome]] = {
    "Say": say, "Play": play, "Pause": pause}
HANDLERS: dict[str, Callable[[Runner, ET.Element, Doc], Outcome]] = {
    "Say": say, "Play": play, "Pause": pause, "Gather": gather, "Record": record,
    "Redirect": redirect, "Hangup": hangup, "Reject": reject, "Leave": leave,
}  # <Dial> and <Enqueue> join them in `ivr.local.twilio.program`
