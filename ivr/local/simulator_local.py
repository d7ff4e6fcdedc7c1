"""`ivr call --url` through the local Twilio stand-in: the call is started on the stand-in's
device API, waits in queues and reaches agents; this follows what the caller hears."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from ivr.local.simulator import Heard, Result

POLL_SECONDS = 10.0  # one long-poll of the call's events
STEP_KINDS = ("voice", "action", "redirect", "wait", "fallback", "queue_url")


class StandInError(RuntimeError):
    """The stand-in refused a request or cannot be reached."""


class LocalTwilio:
    """A client of the stand-in's device API (`/_local/`)."""

    def __init__(self, base_url: str, session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()

    @classmethod
    def discover(cls, app_url: str) -> LocalTwilio | None:
        """The stand-in the app at `app_url` uses, when its /healthz names one."""
        try:
            response = requests.get(app_url.rstrip("/") + "/healthz", timeout=5)
            found = response.json().get("twilio_local")
        except (requests.RequestException, ValueError, AttributeError):
            return None
        return cls(found) if isinstance(found, str) and found else None

    def _do(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        try:
            response = self.session.request(method, self.base_url + path,
                                            timeout=kwargs.pop("timeout", 10), **kwargs)
        except requests.RequestException as exc:
            raise StandInError(f"local Twilio at {self.base_url}: {exc}") from None
        if response.status_code >= 400 and response.status_code != 409:
            raise StandInError(f"local Twilio {path}: HTTP {response.status_code} "
                               f"{response.text[:200]}")
        return response

    def start_call(self, from_: str, to: str, presses: list[str] | None = None, *,
                   interactive: bool = False, hold: float | None = None) -> str:
        """Dial `to` from `from_`; the new call's sid."""
        body = {"from": from_, "to": to, "presses": list(presses or []),
                "interactive": interactive, "hold": hold}
        sid: str = self._do("POST", "/_local/calls", json=body).json()["sid"]
        return sid

    def events(self, sid: str, after: int = 0, wait: float = 0.0) -> dict[str, Any]:
        found: dict[str, Any] = self._do(
            "GET", f"/_local/calls/{sid}/events", params={"after": after, "wait": wait},
            timeout=wait + 10).json()
        return found

    def follow(self, sid: str, wait: float = POLL_SECONDS,
               after: int = 0) -> Iterator[dict[str, Any]]:
        """Every event of the call (from the `after`-th) as it happens, until it has ended."""
        while True:
            batch = self.events(sid, after, wait)
            yield from batch["events"]
            after = batch["next"]
            if batch["ended"] and not batch["events"]:
                return

    def press(self, sid: str, keys: str | None) -> bool:
        """Keys for the <Gather> that waits (None: let it time out); False if none waits."""
        return self._do("POST", f"/_local/calls/{sid}/digits",
                        json={"digits": keys}).status_code == 204

    def hangup(self, sid: str) -> None:
        self._do("POST", f"/_local/calls/{sid}/hangup")

    def hangup_leg(self, sid: str) -> None:
        self._do("POST", f"/_local/legs/{sid}/hangup")

    def set_phone(self, target: str, **behaviour: Any) -> dict[str, Any]:
        found: dict[str, Any] = self._do("PUT", f"/_local/phones/{target}",
                                         json=behaviour).json()
        return found

    def text(self, from_: str, body: str, to: str = "+33825000463") -> dict[str, Any]:
        """`from_` texts `body` to `to`: what the app answered (`replies`)."""
        found: dict[str, Any] = self._do("POST", "/_local/messages",
                                         json={"from": from_, "to": to, "body": body}).json()
        return found

    def messages(self, number: str | None = None) -> list[dict[str, Any]]:
        """SMS sent and received, oldest first (those to or from `number`)."""
        found: list[dict[str, Any]] = self._do(
            "GET", "/_local/messages", params={"number": number} if number else None,
        ).json()["messages"]
        return found

    def calls(self, to: str | None = None) -> dict[str, Any]:
        found: dict[str, Any] = self._do("GET", "/_local/calls",
                                         params={"to": to} if to else None).json()
        return found


class LocalCall:
    """One caller through the stand-in, shown like the in-process simulator shows a call."""

    def __init__(self, local: LocalTwilio, caller: str, called: str, presses: list[str],
                 hold: float | None, ask: Callable[[str], str | None] | None = None,
                 listen: Callable[[Heard], None] | None = None) -> None:
        self.local = local
        self.caller, self.called = caller, called
        self.presses = presses
        self.hold = hold
        self.ask = ask
        self.listen = listen
        self.result = Result()
        self.sid = ""
        self.asked: dict[str, Any] = {}

    def run(self) -> Result:
        self.sid = self.local.start_call(self.caller, self.called, self.presses,
                                         interactive=self.ask is not None, hold=self.hold)
        events: list[dict[str, Any]] = []
        try:
            for event in self.local.follow(self.sid):
                events.append(event)
                self._show(event)
        except KeyboardInterrupt:
            self.local.hangup(self.sid)
            events.extend(self.local.follow(self.sid, wait=2.0, after=len(events)))
        self.result.outcome = outcome(events)
        target = self.result.outcome["target"]
        self._note("end", f"{self.result.outcome['type']} {target or ''}".strip())
        return self.result

    def _show(self, event: dict[str, Any]) -> None:
        kind = event["type"]
        if "leg" in event:
            return  # the agent's side: the caller does not hear it
        if kind == "webhook" and event.get("kind") in STEP_KINDS:
            self.result.steps.append({"path": event["path"], "params": event["params"],
                                      "twiml": event["twiml"]})
        elif kind == "say":
            self._note("say", event["text"], event.get("language", ""))
        elif kind == "play":
            self._note("play", event["url"])
        elif kind == "digits":
            self._note("press", event["digits"])
        elif kind == "speech":
            self._note("press", f'said "{event["text"]}"')
        elif kind == "speech_lost":
            self._note("press", f'said "{event["text"]}" (not heard: this question takes keys)')
        elif kind == "gather_timeout":
            self._note("press", "(no key)")
        elif kind == "gather":
            self.asked = event
        elif kind == "listening" and self.ask is not None:
            keys = self.ask(describe(self.asked))
            self.local.press(self.sid, None if keys in (None, "", "-") else keys)
        elif kind == "enqueued":
            self._note("info", f"waiting in {event['queue']}, position {event['position']}")
        elif kind == "bridged":
            agent = agent_of(event.get("url"))
            self._note("info", f"connected to {event.get('to')}"
                       + (f" (agent {agent})" if agent else ""))
        elif kind == "application_error":
            self._note("info", f"application error: {event.get('reason')}")

    def _note(self, kind: str, text: str, language: str = "") -> None:
        heard = Heard(kind, text, language)
        self.result.heard.append(heard)
        if self.listen:
            self.listen(heard)


def describe(gather: dict[str, Any]) -> str:
    """What a <Gather> expects, for the prompt of an interactive call."""
    parts = [f"{gather['numDigits']} key(s)"] if gather.get("numDigits") else []
    if gather.get("finishOnKey"):
        parts.append(f"end with {gather['finishOnKey']}")
    return ", ".join(parts) or "keys"


def agent_of(url: str | None) -> str | None:
    """The agent id the routing put in a Dial noun's whisper URL (`agent=<id>`)."""
    if not url:
        return None
    found = parse_qs(urlsplit(url).query).get("agent")
    return found[0] if found else None


def outcome(events: list[dict[str, Any]]) -> dict[str, Any]:
    """How the call ended up: connected to an agent (or a number), recorded, left waiting in a
    queue, sent to a Dial nobody answered, or just hung up."""
    mine = [e for e in events if "leg" not in e]
    bridged = [e for e in mine if e["type"] == "bridged" and e.get("to")]
    if bridged:
        last = bridged[-1]
        agent = agent_of(last.get("url"))
        return {"type": "agent", "target": agent} if agent else {"type": "dial",
                                                                 "target": last["to"]}
    for event in reversed(mine):
        if event["type"] == "record":
            return {"type": "record", "target": event.get("url")}
        if event["type"] == "enqueued":
            return {"type": "enqueue", "target": event["queue"]}
        if event["type"] == "dial":
            return {"type": "dial",
                    "target": " ".join(t["target"] for t in event.get("targets", []))}
    return {"type": "hangup", "target": None}

