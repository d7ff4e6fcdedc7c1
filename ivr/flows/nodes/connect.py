"""Nodes that hand the call on: to a phone number, or into a queue of agents."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal
from urllib.parse import urlencode

from pydantic import Field, field_validator

from ivr.flows.nodes.base import Node, NodeRef, PromptRef, QueueRef
from ivr.phones import parse_phone

if TYPE_CHECKING:
    from ivr.flows.call import Call

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
    """Put the caller in a queue of agents."""

    type: Literal["enqueue"]
    queue: QueueRef
    prompt: PromptRef | None = None

    def enter(self, call: Call) -> str | None:
        if self.prompt:
            call.say(self.prompt)
        wait = f"{WAIT_PATH}?{urlencode({'v': call.flow.version, 'q': self.queue, 'l': call.lang})}"
        call.response.enqueue(self.queue, wait_url=wait, wait_url_method="POST")
        call.finish("enqueue", self.queue)
        return None
