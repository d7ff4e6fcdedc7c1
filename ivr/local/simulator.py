"""The call simulator: plays Twilio's part against the app, in-process or over HTTP."""

from __future__ import annotations

import re
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qs, urljoin, urlsplit

from twilio.request_validator import RequestValidator

from ivr.local import utterance

CALLBACK_REQUEST_PATH = "/voice/callback"  # ivr/flows/nodes/callback.py
MAX_REQUESTS = 80  # a call that has not ended by then is stopped (a caller who never answers)
IN_PROCESS_BASE = "http://localhost"
TIMEOUT = "-"
PHONE_KEYS = re.compile(r"[0-9*#]+")


class Transport(Protocol):
    def post(self, url: str, params: dict[str, str], signature: str) -> tuple[int, str]: ...


class FlaskTransport:
    """Requests into an app in this process, through Flask's test client."""

    def __init__(self, app: Any) -> None:
        self.client = app.test_client()

    def post(self, url: str, params: dict[str, str], signature: str) -> tuple[int, str]:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        response = self.client.post(path, data=params, base_url=f"{parts.scheme}://{parts.netloc}",
                                    headers={"X-Twilio-Signature": signature})
        return response.status_code, response.get_data(as_text=True)


class HttpTransport:
    """Requests to a running server."""

    def __init__(self) -> None:
        import requests

        self.session = requests.Session()

    def post(self, url: str, params: dict[str, str], signature: str) -> tuple[int, str]:
        import requests

        try:
            response = self.session.post(url, data=params, timeout=15,
                                         headers={"X-Twilio-Signature": signature})
        except requests.ConnectionError:
            raise SimulationError(f"no server answers at {url}; is it running "
                                  "(`make run`)?") from None
        except requests.Timeout:
            raise SimulationError(f"{url} did not answer within 15 s") from None
        return response.status_code, response.text


@dataclass
class Heard:
    """One thing the caller hears or is asked."""

    kind: str  # say, play, gather, press, redirect, end
    text: str
    language: str = ""


@dataclass
class Result:
    steps: list[dict[str, Any]] = field(default_factory=list)
    heard: list[Heard] = field(default_factory=list)
    outcome: dict[str, Any] = field(default_factory=lambda: {"type": "hangup", "target": None})

    def as_json(self) -> dict[str, Any]:
        return {"steps": self.steps, "outcome": self.outcome}

    def said(self) -> list[str]:
        return [h.text for h in self.heard if h.kind == "say"]


class SimulationError(RuntimeError):
    """The app answered something Twilio would not accept."""


class Simulator:
    """Calls the app like Twilio does: signed requests with Twilio's voice parameters, one
    `press` per <Gather> (`-` or none left: the Gather times out)."""

    def __init__(self, transport: Transport, auth_token: str, base_url: str,
                 caller: str, called: str, presses: list[str] | None = None,
                 ask: Callable[[str], str | None] | None = None,
                 listen: Callable[[Heard], None] | None = None,
                 account_sid: str | None = None) -> None:
        self.transport = transport
        self.validator = RequestValidator(auth_token)
        self.base_url = base_url.rstrip("/")
        self.presses = list(presses or [])
        self.ask = ask
        self.listen = listen
        self.call = {
            "CallSid": "CA" + secrets.token_hex(16),
            "AccountSid": account_sid or "AC" + secrets.token_hex(16),
            "From": caller, "To": called, "Caller": caller, "Called": called,
            "Direction": "inbound", "ApiVersion": "2010-04-01",
            "FromCountry": "FR", "ToCountry": "FR",
        }
        self.result = Result()
        self.callback = ""  # the id of a callback the caller asked for

    def run(self) -> Result:
        url: str | None = f"{self.base_url}/voice/incoming"
        extra: dict[str, str] = {"CallStatus": "ringing"}
        for _ in range(MAX_REQUESTS):
            if url is None:
                break
            root = self._request(url, extra)
            url, extra = self._follow(root, url)
        else:
            self.result.outcome = {"type": "hangup", "target": "simulator: too many requests"}
        self._hang_up()
        return self.result

    def _hang_up(self) -> None:
        """The caller hangs up: Twilio's status callback, so that nothing of the call (a place
        in a queue) outlives it. Not one of the call's steps."""
        url = f"{self.base_url}/voice/status"
        params = {**self.call, "CallStatus": "completed", "CallDuration": "1"}
        self.transport.post(url, params, self.validator.compute_signature(url, params))

    # -- one request, one document ---------------------------------------------------------

    def _request(self, url: str, extra: dict[str, str]) -> ET.Element:
        params = {**self.call, "CallStatus": "in-progress", **extra}
        signature = self.validator.compute_signature(url, params)
        status, body = self.transport.post(url, params, signature)
        path = url[len(self.base_url):] if url.startswith(self.base_url) else url
        self.result.steps.append({"path": path, "params": params, "twiml": body})
        if status != 200:
            raise SimulationError(f"{path} answered HTTP {status}: {body[:200]}")
        try:
            root = ET.fromstring(body)
        except ET.ParseError as exc:
            raise SimulationError(f"{path} answered something that is not TwiML: {exc}") from None
        if root.tag != "Response":
            raise SimulationError(f"{path} answered <{root.tag}>, not <Response>")
        return root

    def _follow(self, root: ET.Element, url: str) -> tuple[str | None, dict[str, str]]:
        """Play a document's verbs; the next request to make, or None when the call ends."""
        for verb in root:
            tag = verb.tag
            if tag in ("Say", "Play"):
                self._hear(verb)
            elif tag == "Gather":
                for inner in verb:
                    self._hear(inner)
                answer = self._press(verb)
                if answer is not None:
                    return urljoin(url, verb.get("action") or url), answer
                self._note("press", "(no key)")
                if verb.get("actionOnEmptyResult") == "true":
                    return urljoin(url, verb.get("action") or url), {}
            elif tag == "Redirect":
                target = urljoin(url, (verb.text or "").strip())
                if urlsplit(url).path == CALLBACK_REQUEST_PATH:
                    # the callback request answers with its id, on the way back to the flow
                    self.callback = parse_qs(urlsplit(target).query).get("cb", [""])[0]
                return target, {}
            elif tag == "Enqueue":
                return self._enqueue(verb, url)
            elif tag == "Dial":
                number = (verb.text or "").strip() or " ".join(
                    (child.text or "").strip() for child in verb)
                return self._end("dial", number)
            elif tag == "Record":
                return self._end("record", urljoin(url, verb.get("action") or url))
            elif tag in ("Hangup", "Reject"):
                return self._end("hangup", None)
            elif tag == "Pause":
                continue
            else:
                raise SimulationError(f"unexpected TwiML verb <{tag}>")
        return self._end("hangup", None)

    def _enqueue(self, verb: ET.Element, url: str) -> tuple[None, dict[str, str]]:
        queue = (verb.text or "").strip()
        wait = verb.get("waitUrl")
        if wait:
            root = self._request(urljoin(url, wait), {
                "QueueSid": "QU" + secrets.token_hex(16), "QueuePosition": "1",
                "QueueTime": "0", "AvgQueueTime": "0", "CurrentQueueSize": "1",
            })
            for inner in root:
                # a <Gather> lets the waiting caller press a key (the callback offer)
                for heard in (inner,) if inner.tag != "Gather" else tuple(inner):
                    if heard.tag in ("Say", "Play"):
                        self._hear(heard)
        return self._end("enqueue", queue)

    def _end(self, kind: str, target: str | None) -> tuple[None, dict[str, str]]:
        if kind == "hangup" and self.callback:
            kind, target = "callback", self.callback  # then goodbye
        self.result.outcome = {"type": kind, "target": target}
        self._note("end", f"{kind} {target or ''}".strip())
        return None, {}

    # -- the caller ----------------------------------------------------------------------

    def _press(self, gather: ET.Element) -> dict[str, str] | None:
        """Twilio's parameters for the caller's answer to a <Gather>; None: it times out."""
        hint = describe_gather(gather)
        while True:
            if self.presses:
                keys, asked = self.presses.pop(0), False
            elif self.ask is not None:
                keys, asked = self.ask(hint) or TIMEOUT, True
            else:
                keys, asked = TIMEOUT, False
            if keys == TIMEOUT:
                return None
            if utterance.is_utterance(keys):
                problem = utterance.problem(keys)
                if problem is None:
                    return self._say(gather, utterance.parse(keys))
                option = "--say"
            else:
                problem, option = key_problem(keys, gather), "--press"
            if problem is None:
                break
            if not asked:
                raise SimulationError(f"{option} {keys!r}: {problem}")
            hint = f"{problem}; {describe_gather(gather)}"
        self._note("press", keys)
        return self._gathered(gather, keys)

    def _say(self, gather: ET.Element, words: utterance.Utterance) -> dict[str, str] | None:
        """Words for a <Gather>: heard when it listens for speech, else lost (a timeout)."""
        if not utterance.listens(gather.get("input")):
            self._note("press", f"{words.shown()} (not heard: this question takes keys)")
            return None
        self._note("press", words.shown())
        return words.params()

    @staticmethod
    def _gathered(gather: ET.Element, keys: str) -> dict[str, str]:
        """Twilio's parameters for keys typed into a Gather."""
        finish = gather.get("finishOnKey", "#")
        finished = ""
        if finish and finish in keys:
            keys, finished = keys.split(finish, 1)[0], finish
        limit = gather.get("numDigits")
        if limit and limit.isdigit():
            keys = keys[: int(limit)]
        params = {"Digits": keys}
        if finished:
            params["FinishedOnKey"] = finished
        return params

    def _hear(self, verb: ET.Element) -> None:
        if verb.tag == "Say":
            self._note("say", " ".join((verb.text or "").split()), verb.get("language", ""))
        elif verb.tag == "Play":
            self._note("play", (verb.text or "").strip())

    def _note(self, kind: str, text: str, language: str = "") -> None:
        heard = Heard(kind, text, language)
        self.result.heard.append(heard)
        if self.listen:
            self.listen(heard)


def key_problem(keys: str, gather: ET.Element) -> str | None:
    """Why a phone could not send `keys` to this <Gather>, or None when it could."""
    if not PHONE_KEYS.fullmatch(keys):
        return "a phone sends only the keys 0-9, * and #"
    limit = gather.get("numDigits")
    finish = gather.get("finishOnKey", "#")
    typed = keys.split(finish, 1)[0] if finish else keys
    if limit and limit.isdigit() and len(typed) > int(limit):
        return f"this question takes {limit} key(s), not {len(typed)}"
    return None


def describe_gather(gather: ET.Element) -> str:
    parts = []
    if gather.get("numDigits"):
        parts.append(f"{gather.get('numDigits')} key(s)")
    if gather.get("finishOnKey"):
        parts.append(f"end with {gather.get('finishOnKey')}")
    if utterance.listens(gather.get("input")):
        parts.append("or say:words")
    parts.append(f"{gather.get('timeout', '5')}s")
    return ", ".join(parts)


def transcript(heard: list[Heard]) -> Iterator[str]:
    for item in heard:
        yield format_heard(item)


def format_heard(item: Heard) -> str:
    if item.kind == "say":
        return f"  [{item.language or '?'}] {item.text}"
    if item.kind == "play":
        return f"  [audio] {item.text}"
    if item.kind == "press":
        return f"  > {item.text}"
    return f"= {item.text}"
