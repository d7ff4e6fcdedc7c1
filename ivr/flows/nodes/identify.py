"""Node identify: who is calling, by caller ID confirmed with a key, or by client ID typed or
said (a spoken one read back for a key when heard with little confidence or unknown)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ivr.callers import guard, spoken
from ivr.callers.directory import CLIENT_KEY, Client, client_summary
from ivr.core.phones import mask
from ivr.flows.call import Call
from ivr.flows.nodes.base import Node
from ivr.flows.refs import Key, NodeRef, PromptRef

log = logging.getLogger(__name__)
LICENCE_STAGE = "licence"
READBACK_STAGE = "readback"  # a spoken id read back: the caller confirms it with a key
MAX_ID_DIGITS = 12
# Twilio's <Gather> hints: words, phrases or class tokens ($OOV_CLASS_DIGIT_SEQUENCE), each
# at most 100 characters
Hint = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^,]+$")]


class Lockout(BaseModel):
    """After `failures` wrong ids within `window` seconds, a number goes straight to the
    failure node for `duration` seconds; a client id failed from `flag_after` numbers is
    flagged for admins (never locked against its owner)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    failures: int = Field(default=5, ge=1)
    window: int = Field(default=3600, ge=60)
    duration: int = Field(default=3600, ge=60)
    flag_after: int = Field(default=5, ge=2)


class Identify(Node):
    """Identify the caller; the same message for every wrong id, so none is revealed."""

    type: Literal["identify"]
    waits: ClassVar[bool] = True
    asks: ClassVar[bool] = True
    sealable: ClassVar[bool] = True
    enter_needs: ClassVar[frozenset[str]] = frozenset({"caller", "guard"})
    receive_needs: ClassVar[frozenset[str]] = frozenset({"caller", "typed", "guard"})

    prompt: PromptRef  # "type your client ID followed by #"
    known_prompt: PromptRef  # "press 1 if you are calling for {company}, or type your ID and #"
    invalid_prompt: PromptRef  # "this client ID is not recognised"
    timeout_prompt: PromptRef | None = None
    confirm_key: Key = "1"
    attempts: int = Field(default=3, ge=1, le=10)
    timeout: int = Field(default=8, ge=3, le=30)
    licence: bool = False  # ask the licence number as a second factor
    licence_prompt: PromptRef | None = None
    lockout: Lockout = Lockout()
    # the caller may say the id (Twilio's <Gather input="dtmf speech">, in their language)
    speech: bool = False
    speech_hints: list[Hint] = Field(default=[], max_length=50)
    speech_timeout: Literal["auto"] | Annotated[int, Field(ge=1, le=10)] = "auto"
    speech_model: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,60}$")
    # below this Confidence (Twilio's, 0 to 1) a spoken id is read back for a key
    min_confidence: float = Field(default=0.6, ge=0, le=1)
    # "you said {heard_id}: press 1 to confirm, 2 to say it again"
    readback_prompt: PromptRef | None = None
    unclear_prompt: PromptRef | None = None  # words that hold no number
    next: NodeRef
    on_fail: NodeRef

    @model_validator(mode="after")
    def _licence_prompt(self) -> Identify:
        if self.licence and not self.licence_prompt:
            raise ValueError("licence: true needs a licence_prompt")
        if self.speech and not self.readback_prompt:
            raise ValueError("speech: true needs a readback_prompt")
        return self

    def read_ahead(self, call: Call) -> Callable[[Any], None] | None:
        """A typed client id is judged in the step's one round trip, with the other reads:
        right when its client record exists (the confirm key and the licence are judged
        later, the usual way)."""
        keys = call.keys
        if keys is None and self.speech:
            keys = spoken.digits_said(call.speech)
        if (self.licence or call.state.stage is not None or not keys or not keys.isdigit()
                or keys == self.confirm_key or len(keys) > MAX_ID_DIGITS):
            return None
        policy, now, caller = self.policy, call.now, call.state.caller
        guess = f"{call.sid}:{call.state.seq}"
        return lambda pipe: guard.queue_judge_typed(pipe, policy, now, caller, guess, keys,
                                                    CLIENT_KEY.format(keys))

    def seals(self, call: Call) -> bool:
        # the licence stage holds the client's licences, which must not travel in a URL
        return call.state.stage is None

    @property
    def policy(self) -> guard.Policy:
        return guard.Policy(**self.lockout.model_dump())

    def known_client(self, call: Call) -> Client | None:
        """The one client whose number is calling, if exactly one."""
        clients = call.fetched.get("caller") or []
        return clients[0] if len(clients) == 1 else None

    def enter(self, call: Call) -> str | None:
        record: guard.Record = call.fetched.get("guard") or guard.Record()
        if call.state.stage is None and record.locked(call.now):
            log.info("call %s: number %s locked out of identification",
                     call.sid, mask(call.state.caller))
            return self.on_fail
        if call.state.stage == READBACK_STAGE:
            gather = call.gather(num_digits=1, timeout=self.timeout)
            call.say(self.readback_prompt or self.prompt, into=gather)
            return None
        listen = self._speech_options(call) if call.state.stage is None else {}
        gather = call.gather(finish_on_key="#", timeout=self.timeout, **listen)
        known = self.known_client(call)
        if call.state.stage == LICENCE_STAGE:
            call.say(self.licence_prompt or self.prompt, into=gather)
        elif known is not None:
            call.state.vars["company"] = known.company
            call.say(self.known_prompt, into=gather)
        else:
            call.say(self.prompt, into=gather)
        return None

    def _speech_options(self, call: Call) -> dict[str, Any]:
        """The <Gather> attributes that let the caller say the id, in their language."""
        if not self.speech:
            return {}
        return {"input": "dtmf speech", "language": call.flow.language(call.lang).code,
                "hints": ", ".join(self.speech_hints) or None,
                "speech_timeout": str(self.speech_timeout), "speech_model": self.speech_model}

    def receive(self, call: Call) -> str | None:
        keys = call.keys
        if call.state.stage == LICENCE_STAGE:
            return self._check_licence(call, keys)
        if call.state.stage == READBACK_STAGE:
            return self._check_readback(call, keys)
        known = self.known_client(call)
        if keys == self.confirm_key and known is not None:
            return self._identified(call, known)
        if keys is None and self.speech and call.speech is not None:
            return self._heard(call, known)
        if not keys or not keys.isdigit():
            # silence, '*', '#', speech: ask again, counting one attempt but no failure
            return self._retry(call, self.timeout_prompt if keys == "" else self.invalid_prompt)
        client: Client | None = call.fetched.get("typed")
        if client is not None and client.id == keys:
            return self._identified(call, client)
        if self.licence:
            return self._ask_licence(call, keys if len(keys) <= MAX_ID_DIGITS else "", None)
        return self._failed(call, keys)

    def _heard(self, call: Call, known: Client | None) -> str | None:
        """A spoken id: judged by the guard at once, like a typed one (so reading back an
        unknown id tells no more than "not recognised" does); accepted when heard with
        confidence and known, else read back for a key."""
        heard = spoken.digits_said(call.speech)
        if heard is None or len(heard) > MAX_ID_DIGITS:
            return self._retry(call, self.unclear_prompt or self.invalid_prompt)
        if heard == self.confirm_key and known is not None:
            return self._identified(call, known)
        sure = spoken.confidence(call.params.get("Confidence")) >= self.min_confidence
        client: Client | None = call.fetched.get("typed")
        if client is not None and client.id != heard:
            client = None
        if self.licence:  # judged with the licence, and never read back as unknown
            if sure:
                return self._ask_licence(call, heard, client)
            return self._read_back(call, heard, client)
        if client is not None:
            if self._judge(call, right=True, typed=None) == "locked":
                return self._locked_out(call)
            if sure:
                return self._accept(call, client_summary(client))
            return self._read_back(call, heard, client)
        verdict = self._judge(call, right=False, typed=heard)
        if verdict != "wrong":
            if verdict == "locked_now":
                log.warning("call %s: number %s locked out after repeated wrong ids",
                            call.sid, mask(call.state.caller))
            return self._locked_out(call)
        return self._read_back(call, heard, None)

    def _read_back(self, call: Call, heard: str, client: Client | None) -> str | None:
        call.state.stage = READBACK_STAGE
        call.state.vars["heard_id"] = heard
        summary = client_summary(client) if client else None
        if summary is not None and self.licence:
            summary["licences"] = client.licences  # type: ignore[union-attr]
        call.state.client = summary
        log.info("call %s: spoken client id %s read back", call.sid, mask(heard))
        return call.node_name

    def _check_readback(self, call: Call, keys: str | None) -> str | None:
        """The key after a read-back: confirmed, or said again (any other key, or none)."""
        heard = call.state.vars.pop("heard_id", "")
        client = call.state.client
        call.state.stage = None
        call.state.client = None
        if keys != self.confirm_key or not heard:
            return self._retry(call, self.timeout_prompt if keys == "" else None)
        if self.licence:
            call.state.stage = LICENCE_STAGE
            call.state.vars["pending"] = heard
            call.state.client = client
            return call.node_name
        if client is None or client.get("id") != heard:
            return self._retry(call, self.invalid_prompt)  # counted by the guard when heard
        if self._judge(call, right=True, typed=None) == "locked":
            return self._locked_out(call)
        return self._accept(call, client)

    def _identified(self, call: Call, client: Client) -> str | None:
        if self.licence:
            return self._ask_licence(call, client.id, client)
        if self._judge(call, right=True, typed=None) == "locked":
            return self._locked_out(call)
        return self._accept(call, client_summary(client))

    def _ask_licence(self, call: Call, typed: str, client: Client | None) -> str | None:
        """Ask the licence whether the id exists or not, so that no answer reveals it."""
        call.state.stage = LICENCE_STAGE
        call.state.vars["pending"] = typed
        call.state.client = {**client_summary(client), "licences": client.licences} \
            if client else None
        return call.node_name

    def _accept(self, call: Call, summary: dict[str, Any]) -> str | None:
        call.reset_tries()
        call.state.stage = None
        call.state.vars.pop("pending", None)
        call.state.client = summary
        call.state.vars.update(company=summary["company"], client_id=summary["id"])
        log.info("call %s identified as client %s", call.sid, mask(summary["id"]))
        return self.next

    def _check_licence(self, call: Call, keys: str | None) -> str | None:
        if keys == "":
            return self._retry(call, self.timeout_prompt or self.invalid_prompt)
        pending = call.state.vars.get("pending", "")
        client = call.state.client or {}
        licences: list[str] = client.pop("licences", None) or []
        typed = (keys or "").replace("*", "-")
        if client.get("id") == pending and typed and any(
                typed in (licence, "".join(c for c in licence if c.isdigit()))
                for licence in licences):
            if self._judge(call, right=True, typed=None) == "locked":
                return self._locked_out(call)
            return self._accept(call, client)
        call.state.stage = None
        call.state.client = None
        call.state.vars.pop("pending", None)
        return self._failed(call, pending or None)

    def _retry(self, call: Call, prompt: str | None) -> str | None:
        if prompt:
            call.say(prompt)
        if call.count_try() >= self.attempts:
            return self._give_up(call)
        return call.node_name

    def _judge(self, call: Call, right: bool, typed: str | None) -> guard.Verdict:
        """The guard's verdict on this guess: the lock is checked at every guess, and a wrong
        one counted, in one atomic step; taken back if a concurrent answer wins the step.

        A right guess needs no round trip of its own: the lock was read with the step's other
        reads. With the state sealed in the URL, a guess is named by its call and step, so a
        repeated request (or a second answer to the same step) counts once."""
        ahead: guard.Verdict | None = call.fetched.get("ahead")  # judged with the reads
        if ahead in (("pass", "locked") if right else ("wrong", "locked_now", "locked")):
            return ahead  # type: ignore[return-value]
        record: guard.Record | None = call.fetched.get("guard")
        if right and record is not None:
            return "locked" if record.locked(call.now) else "pass"
        caller = call.state.caller
        guess = f"{call.sid}:{call.state.seq}"
        if not call.by_token:
            guess += f":{secrets.token_hex(4)}"
        typed = typed if typed and len(typed) <= MAX_ID_DIGITS else None
        verdict = guard.judge(call.redis, self.policy, call.now, caller, guess, right, typed)
        if verdict in ("wrong", "locked_now") and not call.by_token:
            call.undo.append(lambda r: guard.refund(r, caller, guess))
        return verdict

    def _failed(self, call: Call, typed: str | None) -> str | None:
        verdict = self._judge(call, right=False, typed=typed)
        if verdict == "wrong":
            return self._retry(call, self.invalid_prompt)
        if verdict == "locked_now":
            log.warning("call %s: number %s locked out after repeated wrong ids",
                        call.sid, mask(call.state.caller))
        return self._locked_out(call)

    def _locked_out(self, call: Call) -> str | None:
        """A locked number's guess, right or wrong, hears what a wrong last guess hears."""
        call.say(self.invalid_prompt)
        return self._give_up(call)

    def _give_up(self, call: Call) -> str | None:
        call.reset_tries()
        call.state.stage = None
        call.state.vars.pop("pending", None)
        call.state.vars.pop("heard_id", None)
        call.state.client = None
        return self.on_fail
