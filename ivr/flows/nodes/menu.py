"""Nodes that ask for one key: the language choice and the menu."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ivr.flows.call import Call
from ivr.flows.nodes.base import Node
from ivr.flows.refs import Key, NodeRef, PromptRef, Ref

LanguageRef = Annotated[str, Ref("language")]


class LanguageChoice(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    language: LanguageRef
    prompt: PromptRef  # spoken in that language: "For English, press 9"


class ChooseLanguage(Node):
    """Greet in the default language and offer others on a key; no key keeps the default."""

    type: Literal["language"]
    steady: ClassVar[bool] = True
    waits: ClassVar[bool] = True
    asks: ClassVar[bool] = True
    sealable: ClassVar[bool] = True
    prompt: PromptRef
    choices: dict[Key, LanguageChoice]
    timeout: int = Field(default=3, ge=1, le=30)
    next: NodeRef

    def enter(self, call: Call) -> str | None:
        gather = call.gather(num_digits=1, timeout=self.timeout)
        call.say(self.prompt, into=gather)
        for choice in self.choices.values():
            call.say(choice.prompt, into=gather, lang=choice.language)
        return None

    def receive(self, call: Call) -> str | None:
        choice = self.choices.get(call.keys or "")
        if choice is not None:
            call.state.lang = choice.language
            call.note_choice(call.keys or "")
        return self.next


class Menu(Node):
    """Ask for one key and branch; `*` repeats; wrong keys and silence are asked again, a
    bounded number of times, then `on_fail`."""

    type: Literal["menu"]
    steady: ClassVar[bool] = True
    waits: ClassVar[bool] = True
    asks: ClassVar[bool] = True
    sealable: ClassVar[bool] = True
    prompt: PromptRef
    options: dict[Key, NodeRef] = Field(min_length=1)
    repeat_key: Key | None = "*"
    attempts: int = Field(default=3, ge=1, le=10)
    timeout: int = Field(default=6, ge=1, le=30)
    invalid_prompt: PromptRef | None = None
    timeout_prompt: PromptRef | None = None
    on_timeout: NodeRef | None = None
    on_fail: NodeRef

    @model_validator(mode="after")
    def _repeat_key_free(self) -> Menu:
        if self.repeat_key and self.repeat_key in self.options:
            raise ValueError(f"repeat_key {self.repeat_key!r} is also an option")
        return self

    def enter(self, call: Call) -> str | None:
        gather = call.gather(num_digits=1, timeout=self.timeout)
        call.say(self.prompt, into=gather)
        return None

    def receive(self, call: Call) -> str | None:
        keys = call.keys
        if keys and keys[0] in self.options:
            call.reset_tries()
            call.note_choice(keys[0])
            return self.options[keys[0]]
        if keys and keys[0] == self.repeat_key:
            return call.node_name
        if keys == "" and self.on_timeout:
            call.reset_tries()
            return self.on_timeout
        prompt = self.timeout_prompt if keys == "" else self.invalid_prompt
        if prompt:
            call.say(prompt)
        if call.count_try() >= self.attempts:
            call.reset_tries()
            return self.on_fail
        return call.node_name
