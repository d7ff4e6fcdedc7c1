"""The pieces of a TwiML run: a document, where to go next, how a call ends, attribute rules."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from ivr.local.twilio.webhooks import resolve

SAY_CHARS_PER_SECOND = 15.0
PLAY_SECONDS = 8.0  # every <Play> file lasts this long in simulated time
MAX_LOOPS = 1000  # loop="0" (forever) stops there, or when something interrupts it
# what Twilio lets a waitUrl document do, and the <Queue url> and whisper documents
WAIT_VERBS = frozenset({"Say", "Play", "Pause", "Gather", "Leave", "Redirect", "Hangup"})
QUEUE_URL_VERBS = frozenset({"Say", "Play", "Pause", "Redirect"})
WHISPER_VERBS = frozenset({"Say", "Play", "Pause", "Gather", "Redirect", "Hangup"})


class TwimlError(Exception):
    """A document Twilio would refuse (12100) or a verb it cannot run there."""


class LeaveQueue(Exception):  # noqa: N818  (a signal)
    """<Leave> in a wait document."""


@dataclass
class Doc:
    """A TwiML document and the URL it came from (relative URLs resolve against it)."""

    root: ET.Element
    url: str
    method: str = "POST"

    def resolve(self, url: str | None) -> str | None:
        return resolve(self.url, url) if url is not None and url.strip() else None


@dataclass
class Next:
    """Request this URL and run the document it answers (or run inline TwiML)."""

    url: str
    method: str = "POST"
    params: dict[str, str] = field(default_factory=dict)
    kind: str = "action"
    twiml: str | None = None


@dataclass
class End:
    """The call ends here: completed, or `status` (busy, no-answer) for a <Reject>."""

    status: str = "completed"


Outcome = Next | End | None  # None: go on with the next verb


def text_of(element: ET.Element) -> str:
    return " ".join((element.text or "").split())


def int_attr(element: ET.Element, name: str, default: int, low: int = 0,
             high: int = 14400) -> int:
    """An integer attribute; a bad value is a TwiML error, as it is for Twilio."""
    raw = element.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise TwimlError(f"<{element.tag} {name}={raw!r}>: not an integer") from None
    if not low <= value <= high:
        raise TwimlError(f"<{element.tag} {name}={raw!r}>: out of range {low}..{high}")
    return value


def loops(element: ET.Element) -> int:
    count = int_attr(element, "loop", 1, 0, MAX_LOOPS)
    return count or MAX_LOOPS


def method_of(element: ET.Element, name: str = "method") -> str:
    raw = (element.get(name) or "POST").upper()
    if raw not in ("GET", "POST"):
        raise TwimlError(f"<{element.tag} {name}={raw!r}>: GET or POST")
    return raw


def say_seconds(text: str) -> float:
    return max(1.0, len(text) / SAY_CHARS_PER_SECOND)
