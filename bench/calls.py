"""The calls of the mix, walked the way Twilio walks them: each next request is read from the
TwiML of the last answer (a <Gather>'s action, a <Redirect>, an <Enqueue>'s waitUrl), never
built from a URL format, so the bench measures whatever the webhooks answer.

A call of the mix, on a Monday morning with support open, from a number that is no client's:
  incoming   the new call                        -> the greeting asks "for English press 9"
  greeting   no key: the Gather times out        -> announcement, pending callback, hours, then
                                                    identification asks for the client id
  identify   a demo client's id typed, then #    -> agency hours, contract, then the menu
  menu       1, 2 or 3                           -> <Enqueue> into that service's queue
  wait       Twilio's first wait-URL request     -> position, estimated wait, hold music
A <Redirect> on the way would be a request of its own, of kind "redirect".
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import urljoin

from webhooks import CALLERS, Webhook, call_sid, voice_params

INCOMING_PATH = "/voice/incoming"  # Twilio's Voice URL: the one URL fixed outside the app
TIMEOUT = "-"  # an answer: the caller presses nothing, the <Gather> times out
# demo clients (config/demo_clients.csv) whose contract is current: the menu comes next
CLIENT_IDS = ("1001", "1007", "1005", "1006")  # active contracts, none near its renewal (1002 is:
# its contract check asks one key more)
MENU_KEYS = ("1", "2", "3")  # technical support, maintenance, delivery: a queue each


class WalkError(RuntimeError):
    """An answer that is not TwiML, or TwiML that does not lead the call where the mix goes."""


@dataclass(frozen=True)
class Question:
    """A <Gather> of the call and what the caller answers to it."""

    kind: str  # the kind of the request that carries the answer
    keys: str  # keys pressed, or TIMEOUT


def script(index: int) -> tuple[Question, ...]:
    """What the caller of call `index` answers, question after question."""
    client = CLIENT_IDS[index % len(CLIENT_IDS)]
    key = MENU_KEYS[(index // len(CLIENT_IDS)) % len(MENU_KEYS)]
    return (Question("greeting", TIMEOUT), Question("identify", f"{client}#"),
            Question("menu", key))


def parse_twiml(body: str, what: str) -> ET.Element:
    """The <Response> root of `body`, or WalkError saying why it is not TwiML."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise WalkError(f"{what}: not XML ({exc}): {body[:200]!r}") from None
    if root.tag != "Response":
        raise WalkError(f"{what}: root <{root.tag}>, not <Response>: {body[:200]!r}")
    return root


class Walk:
    """One call of the mix, request after request: `first()`, then `next(answer)` until None."""

    def __init__(self, public_url: str, stamp: int, index: int) -> None:
        self.sid = call_sid(stamp, index)
        self.base = voice_params(self.sid, CALLERS[index % len(CALLERS)])
        self.questions = list(script(index))
        self.public_url = public_url.rstrip("/")
        self.current: Webhook | None = None

    def first(self) -> Webhook:
        self.current = Webhook("incoming", self.public_url + INCOMING_PATH,
                               {**self.base, "CallStatus": "ringing"})
        return self.current

    def next(self, answer: str) -> Webhook | None:
        """The request Twilio makes after `answer` (the TwiML of the current request); None
        when the answer was the wait URL's, which ends the walk."""
        hook = self.current
        if hook is None:
            raise WalkError("next() before first()")
        root = parse_twiml(answer, hook.kind)
        if hook.kind == "wait":
            check_wait(root)
            self.current = None
            return None
        self.current = self._follow(root, hook)
        return self.current

    def _follow(self, root: ET.Element, hook: Webhook) -> Webhook:
        for verb in root:
            if verb.tag in ("Say", "Play", "Pause"):
                continue
            if verb.tag == "Gather":
                if not self.questions:
                    raise WalkError(f"{hook.kind}: a <Gather> more than the mix answers")
                question = self.questions.pop(0)
                action = urljoin(hook.url, verb.get("action") or hook.url)
                if question.keys != TIMEOUT:
                    return self._hook(question.kind, action, gathered(verb, question.keys))
                if verb.get("actionOnEmptyResult") == "true":
                    return self._hook(question.kind, action, {})
                continue  # Twilio goes on to the verb after the <Gather>
            if verb.tag == "Redirect":
                return self._hook("redirect", urljoin(hook.url, (verb.text or "").strip()), {})
            if verb.tag == "Enqueue":
                wait = verb.get("waitUrl")
                if not wait or verb.get("waitUrlMethod", "POST").upper() != "POST":
                    raise WalkError(f"{hook.kind}: <Enqueue> without a POST waitUrl")
                return self._hook("wait", urljoin(hook.url, wait), {
                    "QueueSid": "QU" + self.sid[2:], "QueuePosition": "1", "QueueTime": "0",
                    "AvgQueueTime": "0", "CurrentQueueSize": "1",
                })
            raise WalkError(f"{hook.kind}: answered <{verb.tag}> where the call of the mix goes "
                            f"on to a queue: {ET.tostring(root, encoding='unicode')[:300]}")
        raise WalkError(f"{hook.kind}: the answer ends the call: "
                        f"{ET.tostring(root, encoding='unicode')[:300]}")

    def _hook(self, kind: str, url: str, extra: dict[str, str]) -> Webhook:
        return Webhook(kind, url, {**self.base, **extra})


def gathered(gather: ET.Element, keys: str) -> dict[str, str]:
    """Twilio's parameters for keys typed into a <Gather>."""
    finish = gather.get("finishOnKey", "#")
    params = {"msg": "Gather End"}
    if finish and finish in keys:
        keys = keys.split(finish, 1)[0]
        params["FinishedOnKey"] = finish
    limit = gather.get("numDigits")
    if limit and limit.isdigit():
        keys = keys[: int(limit)]
    return {**params, "Digits": keys}


def check_wait(root: ET.Element) -> None:
    """A waiting caller hears hold music; <Leave> (overflow) or <Dial> would end the wait."""
    tags = {element.tag for element in root.iter()}
    if "Leave" in tags:
        raise WalkError("wait: <Leave>: the caller was sent to overflow (queue full, nobody "
                        "staffed, or waited too long)")
    if "Dial" in tags or "Play" not in tags:
        raise WalkError(f"wait: not hold music: {ET.tostring(root, encoding='unicode')[:300]}")
