"""Nodes callback (ask to be called back) and callback_cancel (cancel a pending callback)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal
from urllib.parse import urlencode

from pydantic import Field, field_validator

from callbacks import store as callbacks_store
from callbacks.policy import COSTLY, REASONS, Policy, spoken_end
from ivr.flows.call import Call
from ivr.flows.nodes.base import Node
from ivr.flows.refs import Key, NodeRef, PromptRef, QueueRef
from ivr.flows.speech import speak_window

REQUEST_PATH = "/voice/callback"
REQUEST_STAGE = "request"
NUMBER_VAR = "callback_number"
MAX_DIGITS = 20


def policy_of(call: Call) -> Policy:
    return call.flow.config.callbacks or Policy()


def when_text(call: Call, due: datetime | None, minutes: int) -> str:
    """'mardi 18 mai entre 8 h 30 et 9 h', read in the time zone `due` carries."""
    if due is None:
        return ""
    return speak_window(due, minutes, call.lang, call.now.astimezone(due.tzinfo).date())


class Callback(Node):
    """Offer to call the caller back: confirm the caller ID with a key or type another number
    followed by #; a refused number is said why and asked again. The request itself is made by
    REQUEST_PATH (it schedules the call and takes the caller's place in a queue), which sends
    the call back here to say when to expect the call, then `next`.

    The callback waits in `queue`, or in the queue the caller was waiting in, or in the flow's
    callbacks queue.
    """

    type: Literal["callback"]
    waits: ClassVar[bool] = True
    asks: ClassVar[bool] = True
    needs_callbacks: ClassVar[bool] = True
    receive_needs: ClassVar[frozenset[str]] = frozenset({"callback"})

    confirm_prompt: PromptRef  # "... the number ending in {number_end}, press 1, or type ..."
    number_prompt: PromptRef  # no usable caller ID: "type your number followed by #"
    queued_prompt: PromptRef  # due now: "we will call you back as soon as an adviser is free"
    scheduled_prompt: PromptRef  # closed: "we will call you back {callback_when}"
    refused_prompt: PromptRef  # a refused number, when no prompt of `refused` says why
    refused: dict[str, PromptRef] = {}  # by reason (invalid, country, costly, own, too_many...)
    timeout_prompt: PromptRef | None = None
    queue: QueueRef | None = None
    confirm_key: Key = "1"
    attempts: int = Field(default=3, ge=1, le=10)
    timeout: int = Field(default=10, ge=3, le=30)
    next: NodeRef
    on_fail: NodeRef

    @field_validator("refused")
    @classmethod
    def _reasons(cls, value: dict[str, str]) -> dict[str, str]:
        known = REASONS | {"costly"}
        for reason in value:
            if reason not in known:
                raise ValueError(f"unknown refusal {reason!r} (known: {', '.join(sorted(known))})")
        return value

    def enter(self, call: Call) -> str | None:
        if call.state.stage == REQUEST_STAGE:
            query = {"v": call.flow.version, "n": call.node_name, "s": str(call.state.seq + 1)}
            call.response.redirect(f"{REQUEST_PATH}?{urlencode(query)}", method="POST")
            return None
        gather = call.gather(finish_on_key="#", timeout=self.timeout)
        shown = self._caller_number(call)
        if shown:
            call.state.vars["number_end"] = spoken_end(shown)
            call.say(self.confirm_prompt, into=gather)
        else:
            call.say(self.number_prompt, into=gather)
        return None

    def receive(self, call: Call) -> str | None:
        if call.state.stage == REQUEST_STAGE:
            return self._requested(call)
        keys = call.keys
        if keys == "":
            return self._retry(call, self.timeout_prompt or self.number_prompt)
        shown = self._caller_number(call)
        if keys == self.confirm_key and shown:
            number: str | None = shown
        elif keys and keys.isdigit() and len(keys) <= MAX_DIGITS:
            number = keys
        else:
            return self._refuse(call, "invalid")
        checked = policy_of(call).check(number, also_own=[call.state.called])
        if checked.refused:
            return self._refuse(call, checked.refused)
        call.state.vars[NUMBER_VAR] = checked.number or ""
        call.state.stage = REQUEST_STAGE
        return call.node_name

    def _requested(self, call: Call) -> str | None:
        call.state.stage = None
        outcome: callbacks_store.Outcome | None = call.fetched.get("callback")
        if outcome is None:  # the request was lost on the way: make it again
            if call.count_try() >= self.attempts:
                call.reset_tries()
                return self.on_fail
            call.state.stage = REQUEST_STAGE
            return call.node_name
        if not outcome.accepted:
            return self._refuse(call, outcome.refused or "invalid")
        call.reset_tries()
        if outcome.state == "scheduled":
            call.state.vars["callback_when"] = when_text(call, outcome.due,
                                                         policy_of(call).window_minutes)
            call.say(self.scheduled_prompt)
        else:
            call.say(self.queued_prompt)
        call.finish("callback", outcome.id)
        return self.next

    def _caller_number(self, call: Call) -> str | None:
        return policy_of(call).check(call.state.caller, also_own=[call.state.called]).number

    def _refuse(self, call: Call, reason: str) -> str | None:
        group = "costly" if reason in COSTLY else reason
        call.say(self.refused.get(reason) or self.refused.get(group) or self.refused_prompt)
        return self._retry(call, None)

    def _retry(self, call: Call, prompt: str | None) -> str | None:
        if prompt:
            call.say(prompt)
        if call.count_try() >= self.attempts:
            call.reset_tries()
            call.state.stage = None
            return self.on_fail
        return call.node_name


class CallbackCancel(Node):
    """A caller whose number has a pending callback is offered to cancel it; otherwise, or
    once they have answered, `next`."""

    type: Literal["callback_cancel"]
    waits: ClassVar[bool] = True
    asks: ClassVar[bool] = True
    needs_callbacks: ClassVar[bool] = True
    passes: ClassVar[bool] = True  # asks only when a callback is pending
    enter_needs: ClassVar[frozenset[str]] = frozenset({"callback_pending"})

    prompt: PromptRef  # "you asked to be called back {callback_when}; to cancel it, press 1"
    due_prompt: PromptRef | None = None  # ... when it waits in a queue already (no time to say)
    cancelled_prompt: PromptRef
    cancel_key: Key = "1"
    timeout: int = Field(default=6, ge=1, le=30)
    next: NodeRef

    def enter(self, call: Call) -> str | None:
        found: callbacks_store.Callback | None = call.fetched.get("callback_pending")
        if found is None or found.state not in ("scheduled", "due"):
            return self.next
        call.state.vars["pending_callback"] = found.id
        gather = call.gather(num_digits=1, timeout=self.timeout)
        due = found.moment("due")
        if found.state == "due" or due is None:
            call.say(self.due_prompt or self.prompt, into=gather)
            return None
        schedule = call.flow.schedules.get(found.get("schedule"))
        if schedule is not None:
            due = due.astimezone(schedule.tz)
        call.state.vars["callback_when"] = when_text(call, due, policy_of(call).window_minutes)
        call.say(self.prompt, into=gather)
        return None

    def receive(self, call: Call) -> str | None:
        cb_id = call.state.vars.pop("pending_callback", "")
        if call.keys == self.cancel_key and cb_id:
            now = call.now
            call.write(lambda pipe: callbacks_store.cancel_on(pipe, cb_id, now, "caller"))
            call.say(self.cancelled_prompt)
        return self.next
