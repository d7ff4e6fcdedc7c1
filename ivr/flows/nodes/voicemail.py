"""Node voicemail: record a message for the agents."""

from __future__ import annotations

from typing import ClassVar, Literal
from urllib.parse import urlencode

from pydantic import Field

from ivr.flows.call import Call
from ivr.flows.nodes.base import Node
from ivr.flows.refs import Key, NodeRef, PromptRef

RECORDING_PATH = "/voice/recording"


class Voicemail(Node):
    """Ask for a message after the beep and record it; Twilio posts the recording to
    /voice/recording, where it is kept for the agents."""

    type: Literal["voicemail"]
    waits: ClassVar[bool] = True
    asks: ClassVar[bool] = True
    prompt: PromptRef
    max_length: int = Field(default=120, ge=5, le=600)
    finish_key: Key = "#"
    next: NodeRef

    def enter(self, call: Call) -> str | None:
        call.say(self.prompt)
        action = call.action_url()
        call.response.record(
            action=action, method="POST", max_length=self.max_length,
            finish_on_key=self.finish_key, play_beep=True, timeout=5,
            recording_status_callback=f"{RECORDING_PATH}?{urlencode({'l': call.lang})}",
            recording_status_callback_method="POST",
        )
        # silence records nothing and Twilio then skips the action: go on all the same
        call.response.redirect(action, method="POST")
        call.finish("record")
        return None

    def receive(self, call: Call) -> str | None:
        return self.next
