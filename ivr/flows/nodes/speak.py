"""Nodes that speak and move on, or end the call: say, play, announcement, hangup."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, HttpUrl

from ivr.flows.call import Call
from ivr.flows.nodes.base import Node
from ivr.flows.refs import NodeRef, PromptRef


class Say(Node):
    """Speak a prompt (or play its recording), then go on."""

    type: Literal["say"]
    steady: ClassVar[bool] = True
    prompt: PromptRef
    next: NodeRef

    def enter(self, call: Call) -> str | None:
        call.say(self.prompt)
        return self.next


class Play(Node):
    """Play an audio file, then go on."""

    type: Literal["play"]
    steady: ClassVar[bool] = True
    url: HttpUrl
    loop: int = Field(default=1, ge=1, le=10)
    next: NodeRef

    def enter(self, call: Call) -> str | None:
        call.response.play(str(self.url), loop=self.loop)
        return self.next


class Announcement(Node):
    """Speak the admin's announcement of this name while it is active (e.g. a known incident)."""

    type: Literal["announcement"]
    enter_needs: ClassVar[frozenset[str]] = frozenset({"live"})
    name: str = Field(pattern=r"^[a-z0-9_-]+$")
    next: NodeRef

    def enter(self, call: Call) -> str | None:
        announcement = call.live.announcements.get(self.name)
        if announcement and call.now < announcement["until"]:
            texts = announcement.get("text", {})
            lang = call.lang if call.lang in texts else call.flow.config.default_language
            if texts.get(lang):
                call.say_text(texts[lang], lang=lang)
        return self.next


class Hangup(Node):
    """Say goodbye (optionally) and hang up."""

    type: Literal["hangup"]
    prompt: PromptRef | None = None

    def enter(self, call: Call) -> str | None:
        if self.prompt:
            call.say(self.prompt)
        call.response.hangup()
        call.finish("hangup")
        return None
