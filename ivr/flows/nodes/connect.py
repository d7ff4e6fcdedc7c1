"""Nodes that hand the call on: to a phone number, or into a queue of agents."""

from __future__ import annotations

from typing import ClassVar, Literal
from urllib.parse import urlencode

from pydantic import Field, field_validator

from ivr import queue
from ivr.core.phones import parse_phone
from ivr.flows.call import Call
from ivr.flows.nodes.base import STAY, Node
from ivr.flows.refs import NodeRef, PromptRef, QueueRef

WAIT_PATH = "/voice/wait"


class Transfer(Node):
    """Dial a phone number; when nobody answers, go on to `next` (or hang up)."""

    type: Literal["transfer"]
    waits: ClassVar[bool] = True
    number: str
    prompt: PromptRef | None = None
    timeout: int = Field(default=30, ge=5, le=120)
    next: NodeRef | None = None

    @field_validator("number")
    @classmethod
    def _e164(cls, value: str) -> str:
        parsed = parse_phone(value)
        if parsed is None:
            raise ValueError(f"not a valid phone number: {value!r}")
        return parsed

    def enter(self, call: Call) -> str | None:
        if self.prompt:
            call.say(self.prompt)
        options = {"action": call.action_url()} if self.next else {}
        call.response.dial(self.number, timeout=self.timeout, method="POST", **options)
        call.finish("dial", self.number)
        return None

    def receive(self, call: Call) -> str | None:
        if call.params.get("DialCallStatus") == "completed":
            call.response.hangup()
            return None
        return self.next


class Enqueue(Node):
    """Put the caller in a queue of agents (ivr/queue.py); Twilio holds the call meanwhile.

    The wait URL tells the caller their place; routing takes the call out of Twilio's queue
    to an agent. When the caller leaves the queue otherwise, Twilio posts the QueueResult
    back here: `leave` (the queue was full, had nobody staffed, or the wait was too long) and
    errors go to `overflow`, a caller who pressed the queue's callback key goes to `callback`
    (keeping their place); a hang-up ends the call.
    """

    type: Literal["enqueue"]
    waits: ClassVar[bool] = True
    receive_needs: ClassVar[frozenset[str]] = frozenset({"entry"})
    queue: QueueRef
    prompt: PromptRef | None = None
    overflow: NodeRef | None = None  # default: hang up
    callback: NodeRef | None = None  # the caller pressed the queue's callback key

    def enter(self, call: Call) -> str | None:
        if self.prompt:
            call.say(self.prompt)
        rules = call.flow.rules(self.queue)
        wait = f"{WAIT_PATH}?{urlencode({'v': call.flow.version, 'q': self.queue, 'l': call.lang})}"
        action = call.action_url()
        client = call.state.client or {}
        details = {
            "client_id": client.get("id", ""), "company": client.get("company", ""),
            "agency": client.get("agency", ""),
            "contract": call.state.vars.get("contract_state", "") if client else "",
            "caller": call.state.caller or "", "lang": call.lang, "version": call.flow.version,
            "pressed": ",".join(call.state.pressed), "action": action, "wait": wait,
            "trial": "1" if call.trial else "",
        }
        call.write(lambda pipe: queue.join(pipe, rules, call.sid, call.now, details))
        call.response.enqueue(self.queue, wait_url=wait, wait_url_method="POST",
                              action=action, method="POST")
        call.finish("enqueue", self.queue)
        return None

    def receive(self, call: Call) -> str | None:
        result = call.params.get("QueueResult", "")
        if result in ("redirected", "redirected-from-bridged", "bridged",
                      "bridging-in-process"):
            # routing took the call to an agent (Twilio reports it, and ignores our answer);
            # the call may come back into the queue with this same action URL
            return STAY
        if result == "leave" and self.callback and call.fetched.get("entry") == "held":
            return self.callback  # their place is kept for the callback they ask for
        outcome = "abandoned" if result == "hangup" else "overflow"
        call.write(lambda pipe: queue.left(pipe, call.sid, call.now, outcome))
        if result == "hangup" or self.overflow is None:
            call.response.hangup()
            return None
        return self.overflow
