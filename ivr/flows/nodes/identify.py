"""Node identify: who is calling, by caller ID confirmed with a key, or by typed client ID."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ivr.callers import guard
from ivr.callers.directory import CLIENT_KEY, Client, client_summary
from ivr.core.phones import mask
from ivr.flows.nodes.base import Key, Node, NodeRef, PromptRef

if TYPE_CHECKING:
    from ivr.flows.call import Call

log = logging.getLogger(__name__)
LICENCE_STAGE = "licence"
MAX_ID_DIGITS = 12


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
    next: NodeRef
    on_fail: NodeRef

    @model_validator(mode="after")
    def _licence_prompt(self) -> Identify:
        if self.licence and not self.licence_prompt:
            raise ValueError("licence: true needs a licence_prompt")
        return self

    def read_ahead(self, call: Call) -> Callable[[Any], None] | None:
        """A typed client id is judged in the step's one round trip, with the other reads:
        right when its client record exists (the confirm key and the licence are judged
        later, the usual way)."""
        keys = call.keys
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
        gather = call.gather(finish_on_key="#", timeout=self.timeout)
        known = self.known_client(call)
        if call.state.stage == LICENCE_STAGE:
            call.say(self.licence_prompt or self.prompt, into=gather)
        elif known is not None:
            call.state.vars["company"] = known.company
            call.say(self.known_prompt, into=gather)
        else:
            call.say(self.prompt, into=gather)
        return None

    def receive(self, call: Call) -> str | None:
        keys = call.keys
        if call.state.stage == LICENCE_STAGE:
            return self._check_licence(call, keys)
        known = self.known_client(call)
        if keys == self.confirm_key and known is not None:
            return self._identified(call, known)
        if not keys or not keys.isdigit():
            # silence, '*', '#', speech: ask again, counting one attempt but no failure
            return self._retry(call, self.timeout_prompt if keys == "" else self.invalid_prompt)
        client: Client | None = call.fetched.get("typed")
        if client is not None and client.id == keys:
            return self._identified(call, client)
        if self.licence:
            return self._ask_licence(call, keys if len(keys) <= MAX_ID_DIGITS else "", None)
        return self._failed(call, keys)

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
        call.state.client = None
        return self.on_fail
