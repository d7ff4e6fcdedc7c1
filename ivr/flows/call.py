"""One webhook step of one call: its state, what was fetched for it, and the answer being built."""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from ivr.flows import twiml_text
from ivr.flows.script import Script
from ivr.flows.speech import speak_date, speak_datetime
from ivr.flows.switches import Live
from ivr.hours import Schedule

log = logging.getLogger(__name__)

KEYS = re.compile(r"^[0-9*#]*$")
SAFE = re.compile(r"^[A-Za-z0-9_.-]+$")  # written as is in a query string
STEP_PATH = "/voice/step"
# where the sealed state goes in an action URL, filled in (or taken out) once the step is done;
# random per process, so no text a caller or a client record brings can look like it
TOKEN_MARK = f"~{secrets.token_hex(8)}~"
TOKEN_PARAM = f"&amp;t={TOKEN_MARK}"  # as it reads in the TwiML (an XML attribute)


@dataclass
class CallState:
    """What is kept of a call between webhooks (in Redis, as JSON, with a TTL)."""

    version: str
    lang: str
    caller: str | None = None
    called: str | None = None
    started: str = ""
    seq: int = 0
    node: str | None = None  # the node waiting for the caller's answer
    stage: str | None = None  # a sub-question of that node (identify: the licence number)
    tries: dict[str, int] = field(default_factory=dict)
    vars: dict[str, str] = field(default_factory=dict)
    client: dict[str, Any] | None = None
    outcome: dict[str, str] | None = None
    pressed: list[str] = field(default_factory=list)  # menu choices, "node:key", for agents
    last: str | None = None  # the previous answer, given again if Twilio repeats a request

    def dumps(self) -> str:
        # fields hold plain JSON values only, so no deep copy (asdict) is needed
        return json.dumps(vars(self), separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def loads(cls, raw: str | bytes) -> CallState:
        data = json.loads(raw)
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


Write = Callable[[Any], None]


class Call:
    """The context nodes work with during one step."""

    def __init__(
        self,
        flow: Script,
        sid: str,
        state: CallState,
        params: Mapping[str, str],
        now: datetime,
        live: Live,
        fetched: Mapping[str, Any],
        trial: bool = False,
        r: Any = None,
        sealing: bool = False,
    ) -> None:
        self.flow = flow
        self.trial = trial  # a simulated call: it may wait in a queue, never reach an agent
        self.sid = sid
        self.state = state
        self.params = params
        self.now = now
        self.live = live
        self.fetched = fetched
        self.response = twiml_text.Response()
        self.node_name = ""
        self.writes: list[Write] = []
        self.redis = r  # for the few checks that must be atomic at once (the guard's)
        self.undo: list[Write] = []  # run on Redis when a concurrent answer won this step
        self.sealing = sealing  # the questions of nodes that allow it may carry the state
        self.sealed = False  # the answer's action URL carries the state (set by the engine)
        self.by_token = False  # the state came in the request's URL (not from Redis)

    # -- the caller's answer -------------------------------------------------------------

    @property
    def keys(self) -> str | None:
        """The keys pressed, '' for none (timeout), None when the input is not keys at all."""
        digits = self.params.get("Digits")
        if digits is None or digits == "":
            return None if self.params.get("SpeechResult") else ""
        digits = digits.strip()
        return digits if KEYS.match(digits) else None

    @property
    def speech(self) -> str | None:
        """What the caller said, as Twilio's speech recognition wrote it; None for keys."""
        if self.params.get("Digits"):
            return None
        return (self.params.get("SpeechResult") or "").strip() or None

    # -- speaking ----------------------------------------------------------------------

    @property
    def lang(self) -> str:
        return self.state.lang

    def say(self, prompt: str, into: twiml_text.Response | twiml_text.Gather | None = None,
            lang: str | None = None) -> None:
        """Speak a prompt of the flow (or play its recording) in the caller's language."""
        lang = lang or self.lang
        target = self.response if into is None else into
        written = self.flow.spoken(prompt, lang)
        if written is not None:
            target.add(written)
        else:
            self.say_text(self.render(self.flow.prompt(prompt, lang).text, lang), into=target,
                          lang=lang)

    def say_text(self, text: str, into: twiml_text.Response | twiml_text.Gather | None = None,
                 lang: str | None = None) -> None:
        language = self.flow.language(lang or self.lang)
        target = self.response if into is None else into
        target.say(text, voice=language.voice, language=language.code)

    def render(self, text: str, lang: str) -> str:
        """Fill a prompt's {placeholders} with the call's variables, spoken in `lang`."""
        if "{" not in text:
            return text
        return text.format_map(_Spoken(self, lang))

    # -- asking ------------------------------------------------------------------------

    def action_url(self, node: str | None = None, **extra: str) -> str:
        """Where Twilio posts the answer to what the current node asks."""
        name = node or self.node_name
        if not extra and SAFE.match(name) and SAFE.match(self.flow.version):  # nothing to escape
            url = f"{STEP_PATH}?v={self.flow.version}&n={name}&s={self.state.seq + 1}"
        else:
            query = {"v": self.flow.version, "n": name, "s": str(self.state.seq + 1), **extra}
            url = f"{STEP_PATH}?{urlencode(query)}"
        if self.sealing and name in self.flow.sealable:
            url += f"&t={TOKEN_MARK}"
        return url

    def gather(self, **options: Any) -> twiml_text.Gather:
        """A <Gather> of keys (or, with `input="dtmf speech"`, keys or words) whose answer
        (or silence) comes back to the current node."""
        options.setdefault("timeout", 6)
        options.setdefault("input", "dtmf")
        return self.response.gather(
            action=self.action_url(), method="POST",
            action_on_empty_result=True, **options,
        )

    # -- memory of the call ------------------------------------------------------------

    def count_try(self, key: str | None = None) -> int:
        key = key or self.node_name
        self.state.tries[key] = self.state.tries.get(key, 0) + 1
        return self.state.tries[key]

    def note_choice(self, keys: str) -> None:
        """Remember a menu choice, shown to the agent who takes the call."""
        self.state.pressed.append(f"{self.node_name}:{keys}")

    def reset_tries(self, key: str | None = None) -> None:
        self.state.tries.pop(key or self.node_name, None)

    def write(self, operation: Write) -> None:
        """Queue a Redis write; all of a step's writes go out in one round trip at its end."""
        self.writes.append(operation)

    def finish(self, kind: str, target: str = "") -> None:
        """Record how the call left the flow (enqueue, dial, record, hangup)."""
        self.state.outcome = {"type": kind, "target": target}

    # -- time and place ----------------------------------------------------------------

    def schedule(self, name: str, by_agency: bool = False) -> Schedule:
        """The named schedule, or the caller's agency's own schedule when asked and known."""
        if by_agency and self.state.client:
            agency = self.flow.config.agencies.get(self.state.client.get("agency") or "")
            if agency is not None:
                return self.flow.schedules[agency.schedule]
        return self.flow.schedules[name]

    def today(self, schedule: Schedule) -> date:
        return self.now.astimezone(schedule.tz).date()


class _Spoken(dict[str, str]):
    """Call variables formatted for speech; unknown names read as empty."""

    def __init__(self, call: Call, lang: str) -> None:
        super().__init__()
        self.call = call
        self.lang = lang

    def __missing__(self, name: str) -> str:
        value = self.call.state.vars.get(name)
        if value is None:
            log.warning("prompt variable %r has no value in call %s", name, self.call.sid)
            return ""
        if name in DATETIME_VARS:
            moment = datetime.fromisoformat(value)
            return speak_datetime(moment, self.lang, self.call.now.astimezone(moment.tzinfo).date())
        if name in DATE_VARS:
            return speak_date(date.fromisoformat(value), self.lang)
        if name in DIGITS_VARS:
            return ", ".join(value)  # read one by one: "1, 0, 0, 1"
        return value


# variables nodes set, by how they are spoken; the flow's prompts may use any of them
DATETIME_VARS = frozenset({"next_open"})
DATE_VARS = frozenset({"contract_end"})
TEXT_VARS = frozenset({"holiday", "closure", "company", "client_id", "queue", "position", "wait",
                       "contract", "number_end", "callback_when", "register_url"})
DIGITS_VARS = frozenset({"heard_id"})  # the client id as heard, read back digit by digit
PROMPT_VARS = DATETIME_VARS | DATE_VARS | TEXT_VARS | DIGITS_VARS

