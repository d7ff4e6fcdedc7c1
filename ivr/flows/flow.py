"""A validated flow, ready to run: nodes, prompts, schedules, and what each step reads."""

from __future__ import annotations

from functools import cache

from ivr.flows import twiml_text
from ivr.flows.nodes import Node
from ivr.flows.schema import FlowConfig, Language, PromptText
from ivr.hours import Schedule
from ivr.queue import Rules


class Flow:
    """One published version of the call flow. Immutable: a publish makes a new one."""

    def __init__(self, config: FlowConfig, version: str) -> None:
        self.config = config
        self.version = version
        self.nodes: dict[str, Node] = dict(config.nodes)
        self.schedules = {name: Schedule(name, sc) for name, sc in config.schedules.items()}
        self.needs = cache(self._needs)
        self.spoken = cache(self._spoken)
        self.queue_rules = {name: queue.rules(name) for name, queue in config.queues.items()}

    @property
    def start(self) -> str:
        return self.config.start

    @property
    def steady_start(self) -> bool:
        """Whether every new call gets the same first answer: the nodes from the start up to
        the first question are all steady (their answer depends on no time, caller or read)."""
        name: str | None = self.start
        seen: set[str] = set()
        while name is not None and name not in seen:
            seen.add(name)
            node = self.nodes[name]
            if not node.steady or node.needs_callbacks:
                return False
            if node.waits:
                return True
            name = getattr(node, "next", None)
        return False

    def prompt(self, name: str, lang: str) -> PromptText:
        texts = self.config.prompts[name]
        return texts.get(lang) or texts[self.config.default_language]

    def _spoken(self, name: str, lang: str) -> str | None:
        """The TwiML that speaks prompt `name` in `lang` (its <Play>, or its <Say> in the
        language's voice), written once per flow version; None when it has placeholders to
        fill per call. `Call.say_text` writes the same <Say> for a filled prompt."""
        text = self.prompt(name, lang)
        if text.audio:
            return twiml_text.element("Play", str(text.audio), {})
        if "{" in text.text:
            return None
        language = self.language(lang)
        return twiml_text.element("Say", text.text,
                                  {"voice": language.voice, "language": language.code})

    def language(self, lang: str) -> Language:
        languages = self.config.languages
        return languages.get(lang) or languages[self.config.default_language]

    def rules(self, queue: str) -> Rules:
        """Routing settings of a queue of this flow."""
        return self.queue_rules[queue]

    def _needs(self, receiving: str | None) -> frozenset[str]:
        """What a step may read from Redis: the receiving node's needs, and the enter needs of
        every node the step can reach before the next question (start: `receiving` is None)."""
        if receiving is None:
            needs: set[str] = set()
            todo = [self.start]
        else:
            node = self.nodes[receiving]
            needs = set(node.receive_needs)
            todo = [receiving, *node.next_nodes()]
        seen: set[str] = set()
        while todo:
            name = todo.pop()
            if name in seen or name not in self.nodes:
                continue
            seen.add(name)
            node = self.nodes[name]
            needs |= node.enter_needs
            if not node.waits or node.passes:
                todo.extend(node.next_nodes())
        return frozenset(needs)
