"""The wording of SMS: prompts of the flow, in the caller's language, filled with values."""

from __future__ import annotations

from collections.abc import Mapping

from ivr.flows.flow import Flow


class _Values(dict[str, str]):
    """Values for a text's {placeholders}; an unknown one reads as empty."""

    def __missing__(self, name: str) -> str:
        return ""


def language_of(flow: Flow, lang: str | None) -> str:
    """`lang` when the flow has it, else the flow's default language."""
    return lang if lang in flow.config.languages else flow.config.default_language


def render(flow: Flow, prompt: str, lang: str | None,
           values: Mapping[str, str] | None = None) -> str:
    """The text of prompt `prompt` in `lang`, its {placeholders} filled from `values`."""
    sms = flow.config.sms
    filled = _Values(values or {})
    if sms is not None:
        filled.setdefault("register_url", str(sms.register_url))
    text = flow.prompt(prompt, language_of(flow, lang)).text
    return " ".join(text.format_map(filled).split())
