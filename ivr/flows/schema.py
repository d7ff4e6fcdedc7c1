"""The flow file's schema, but for its nodes: languages, prompts, schedules, agencies, queues,
callbacks and SMS (FlowSettings). The whole file, nodes included, is FlowConfig
(ivr/flows/config.py), built above the node kinds."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator

from callbacks.policy import Policy
from ivr.core.phones import parse_phone
from ivr.flows.refs import Key, NodeRef, PromptRef, QueueRef, ScheduleRef
from ivr.hours import ScheduleConfig
from ivr.queue import Rules

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]


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


ContractStateName = Literal["active", "expiring", "expired", "none"]


class Queue(Strict):
    """A queue of callers for one service, answered by the agents who have its skill."""

    label: str
    skill: Name | None = None  # agents' skill that answers it; default: the queue's name
    wait_prompt: PromptRef  # said while waiting, every `reminder` seconds; may say {position}
    estimate_prompt: PromptRef | None = None  # after it, when a wait can be estimated: {wait}
    connect_prompt: PromptRef | None = None  # to the caller as an agent is being called
    whisper_prompt: PromptRef | None = None  # to the agent before the caller: {company} ...
    hold_music: HttpUrl = HttpUrl("http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3")
    priority: list[ContractStateName] = []  # callers with these contracts first, in this order
    max_size: int = Field(default=100, ge=1, le=100_000)
    max_wait: int = Field(default=0, ge=0, le=86_400)  # seconds before overflow; 0: no limit
    reminder: int = Field(default=60, ge=10, le=3600)  # seconds between position announcements
    agency_first: int = Field(default=0, ge=0, le=3600)  # seconds for the caller's agency first
    agent_timeout: int = Field(default=20, ge=5, le=120)  # seconds an agent's phone rings
    wrapup: int = Field(default=15, ge=0, le=3600)  # seconds of wrap-up after each call
    # offered while waiting: "press 1 to be called back, keeping your place"
    callback_prompt: PromptRef | None = None
    callback_key: Key = "1"

    def rules(self, name: str) -> Rules:
        return Rules(queue=name, skill=self.skill or name, priority=tuple(self.priority),
                     max_size=self.max_size, max_wait=self.max_wait, reminder=self.reminder,
                     agency_first=self.agency_first, agent_timeout=self.agent_timeout,
                     wrapup=self.wrapup)


class CallbackConfig(Policy):
    """Callbacks, flow-wide: which numbers and how often (Policy), the queue and schedule a
    callback waits on, and what the client hears when the hotline calls them back."""

    queue: QueueRef  # asked from outside a queue (closed, command line): this queue calls back
    no_contract_queue: QueueRef | None = None  # ... for callers without a current contract
    schedule: ScheduleRef  # dialled only while open (the client's agency's schedule if known)
    by_agency: bool = True
    caller_id: str  # the number the client sees when called back (the hotline's)
    answer_prompt: PromptRef  # who is calling, "press 1 to speak to an adviser"
    no_key_prompt: PromptRef | None = None  # no key pressed: goodbye
    sorry_prompt: PromptRef | None = None  # pressed 1 but the agent could not answer

    @field_validator("caller_id")
    @classmethod
    def _caller_id(cls, value: str) -> str:
        number = parse_phone(value)
        if number is None:
            raise ValueError(f"not a phone number: {value!r}")
        return number


class SmsConfig(Strict):
    """SMS, flow-wide: the texts sent (prompts, in the caller's language) and the support
    site's registration page. The sender is a setting (IVR_SMS_FROM)."""

    confirm_queued: PromptRef  # a callback due now: "we will call you back soon... ANNULER"
    confirm_scheduled: PromptRef  # a callback at the next opening: {callback_when}
    cancelled: PromptRef  # the reply to ANNULER / CANCEL
    nothing_to_cancel: PromptRef  # ... when no callback is pending for the number
    cannot_cancel: PromptRef  # ... while the client is being called
    stopped: PromptRef  # the reply to STOP (the last SMS that number gets)
    started: PromptRef  # the reply to START
    help: PromptRef  # any other reply, at most `help_per_day` a day per number
    register_url: HttpUrl  # the support site's registration page, sent by send_sms nodes
    help_per_day: int = Field(default=1, ge=1, le=10)


class FlowSettings(Strict):
    """A whole call flow as an admin writes it, but for its nodes: what a call's nodes read
    through `Call.flow` (ivr/flows/script.py)."""

    description: str = ""
    languages: dict[Name, Language] = Field(min_length=1)
    default_language: str
    start: NodeRef
    prompts: dict[Name, dict[str, PromptText]]
    schedules: dict[Name, ScheduleConfig] = Field(min_length=1)
    agencies: dict[Annotated[str, Field(pattern=r"^[a-z0-9_-]+$")], Agency] = {}
    queues: dict[Name, Queue] = {}
    callbacks: CallbackConfig | None = None
    sms: SmsConfig | None = None

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
