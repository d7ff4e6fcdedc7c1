"""Checks of a flow as a graph: references resolve, nodes are reachable, no silent loops,
prompts complete in every language."""

from __future__ import annotations

import difflib
import string
from collections.abc import Mapping

from ivr.flows.call import PROMPT_VARS
from ivr.flows.config import FlowConfig
from ivr.flows.refs import refs_of
from ivr.flows.speech import LOCALES

Problem = tuple[tuple[str, ...], str]  # (place in the file, what is wrong)


def check(config: FlowConfig) -> list[Problem]:
    problems: list[Problem] = []
    problems += _references(config)
    problems += _prompts(config)
    if not problems:
        problems += _reachability(config)
        problems += _silent_loops(config)
    return problems


def check_references(config: FlowConfig) -> list[Problem]:
    """Names that do not resolve and incomplete prompts (checks that need no whole graph)."""
    return _references(config) + _prompts(config)


def _references(config: FlowConfig) -> list[Problem]:
    known: dict[str, Mapping[str, object]] = {
        "node": config.nodes, "prompt": config.prompts, "schedule": config.schedules,
        "queue": config.queues, "language": config.languages,
    }
    problems: list[Problem] = []

    def expect(place: tuple[str, ...], kind: str, name: str) -> None:
        if name not in known[kind]:
            problems.append((place, f"unknown {kind} {name!r}{_hint(name, known[kind])}"))

    for lang in config.languages:
        if lang not in LOCALES:
            problems.append((("languages", lang), f"no spoken dates for language {lang!r} "
                             f"(supported: {', '.join(sorted(LOCALES))})"))
    if config.default_language not in config.languages:
        expect(("default_language",), "language", config.default_language)
    expect(("start",), "node", config.start)
    for name, agency in config.agencies.items():
        expect(("agencies", name, "schedule"), "schedule", agency.schedule)
    for name, queue in config.queues.items():
        for field in ("wait_prompt", "estimate_prompt", "connect_prompt", "whisper_prompt",
                      "callback_prompt"):
            prompt = getattr(queue, field)
            if prompt is not None:
                expect(("queues", name, field), "prompt", prompt)
    for section in ("callbacks", "sms"):
        found = getattr(config, section)
        if found is not None:
            for place, kind, target in refs_of(found):
                expect((section, *place.split(".")), kind, target)
    for name, node in config.nodes.items():
        for place, kind, target in node.references():
            expect(("nodes", name, *place.split(".")), kind, target)
        for place, message in node.problems(config.nodes):
            problems.append((("nodes", name, *place.split(".")), message))
        if node.needs_callbacks and config.callbacks is None:
            problems.append((("nodes", name), f"a {getattr(node, 'type', '?')} node needs the "
                             "flow's callbacks: section (queue, schedule, answer_prompt...)"))
        if node.needs_sms and config.sms is None:
            problems.append((("nodes", name), f"a {getattr(node, 'type', '?')} node needs the "
                             "flow's sms: section (texts, register_url)"))
    return problems


def _hint(name: str, known: Mapping[str, object]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    if close:
        return f" (did you mean {close[0]!r}?)"
    if not known:
        return " (none defined)"
    return f" (known: {', '.join(sorted(known))})" if len(known) <= 8 else ""


def _prompts(config: FlowConfig) -> list[Problem]:
    problems: list[Problem] = []
    for name, texts in config.prompts.items():
        for lang in config.languages:
            if lang not in texts:
                problems.append((("prompts", name), f"missing the {lang!r} text"))
        for lang, text in texts.items():
            if lang not in config.languages:
                problems.append((("prompts", name, lang), f"{lang!r} is not a configured language"))
                continue
            try:
                fields = {f for _, f, _, _ in string.Formatter().parse(text.text) if f is not None}
            except ValueError as exc:
                problems.append((("prompts", name, lang), f"bad placeholder: {exc}"))
                continue
            for field in sorted(fields - PROMPT_VARS):
                problems.append((("prompts", name, lang),
                                 f"unknown placeholder {{{field}}} (known: "
                                 f"{', '.join(sorted(PROMPT_VARS))})"))
    return problems


def _reachability(config: FlowConfig) -> list[Problem]:
    seen: set[str] = set()
    todo = [config.start]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(config.nodes[name].next_nodes())
    return [(("nodes", name), f"node {name!r} cannot be reached from start {config.start!r}")
            for name in config.nodes if name not in seen]


def _silent_loops(config: FlowConfig) -> list[Problem]:
    """A cycle made only of nodes that never ask the caller anything would spin forever."""
    # a node that may go on without asking (`passes`) does not break a loop
    quiet = {name for name, node in config.nodes.items() if not node.asks or node.passes}
    problems: list[Problem] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for nxt in config.nodes[name].next_nodes():
            if nxt not in quiet:
                continue
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt]
                problems.append((("nodes", nxt), "loops without asking the caller anything: "
                                 + " -> ".join(cycle)))
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[name] = 2

    for name in sorted(quiet):
        if name not in state:
            visit(name, [name])
    return problems
