"""What one version of the flow says and by which rules, but for its nodes: prompts, languages,
schedules, queues. A call's nodes read it through `Call.flow`; `Flow` (ivr/flows/flow.py) is
it plus the nodes."""

from __future__ import annotations

from functools import cache

from ivr.flows import twiml_text
from ivr.flows.schema import FlowSettings, Language, PromptText
from ivr.hours import Schedule
from ivr.queue import Rules


class Script:
    """One published version of the flow, its nodes left out. Immutable."""

    def __init__(self, config: FlowSettings, version: str, sealable: frozenset[str]) -> None:
        self.config = config
        self.version = version
        # the nodes whose questions may carry the call's state in their action URL
        self.sealable = sealable
        self.schedules = {name: Schedule(name, sc) for name, sc in config.schedules.items()}
        self.spoken = cache(self._spoken)
        self.queue_rules = {name: queue.rules(name) for name, queue in config.queues.items()}

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
