"""The flow file's schema: languages, prompts, schedules, agencies, queues and nodes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator

from ivr.flows.nodes import NODE_TYPES, Node
from ivr.flows.nodes.base import NodeRef, PromptRef, ScheduleRef
from ivr.hours import ScheduleConfig

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
if TYPE_CHECKING:
    AnyNode = Node
else:
    AnyNode = Annotated[NODE_TYPES, Field(discriminator="type")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Language(Strict):
    """How prompts of one language are spoken."""

    code: str = Field(pattern=r"^[a-z]{2}-[A-Z]{2}$")  # Twilio's <Say language>
    voice: str = Field(min_length=1)  # e.g. Polly.Lea-Neural


class PromptText(Strict):
    """A prompt in one language: text for <Say>, or a recording to <Play> instead."""

    text: str = Field(min_length=1)
    audio: HttpUrl | None = None


class Agency(Strict):
    schedule: ScheduleRef


class Queue(Strict):
    """A queue of callers for one service."""

    label: str
    wait_prompt: PromptRef  # spoken while waiting; may say {position}
    hold_music: HttpUrl = HttpUrl("http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3")


class FlowConfig(Strict):
    """A whole call flow, as an admin writes it."""

    description: str = ""
    languages: dict[Name, Language] = Field(min_length=1)
    default_language: str
    start: NodeRef
    prompts: dict[Name, dict[str, PromptText]]
    schedules: dict[Name, ScheduleConfig] = Field(min_length=1)
    agencies: dict[Annotated[str, Field(pattern=r"^[a-z0-9_-]+$")], Agency] = {}
    queues: dict[Name, Queue] = {}
    nodes: dict[Name, AnyNode] = Field(min_length=1)

    @field_validator("prompts", mode="before")
    @classmethod
    def _short_prompts(cls, value: Any) -> Any:
        """Let `fr: "text"` stand for `fr: {text: "text"}`."""
        if not isinstance(value, dict):
            return value
        return {
            name: {lang: {"text": v} if isinstance(v, str) else v for lang, v in texts.items()}
            if isinstance(texts, dict) else texts
            for name, texts in value.items()
        }
