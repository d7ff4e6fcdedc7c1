"""Reading a flow file: YAML, then the schema, then the graph checks; every problem is reported
with its place in the file (line and path)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ivr.core.exceptions import FlowError
from ivr.flows import graph
from ivr.flows.config import NODE_TYPE_NAMES, FlowConfig
from ivr.flows.flow import Flow


def load_file(path: Path) -> Flow:
    """Load and validate a flow file; FlowError lists every problem with its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FlowError([f"cannot read: {exc.strerror}"], str(path)) from None
    return parse(text, str(path))


def parse(text: str, source: str = "flow") -> Flow:
    try:
        data = yaml.safe_load(text)
        lines = _line_map(yaml.compose(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or exc
        raise FlowError([f"{where}not valid YAML: {problem}"], source) from None
    if not isinstance(data, dict):
        raise FlowError(["line 1: a flow file is a mapping (languages:, prompts:, nodes:, ...)"],
                        source)
    return from_data(data, source, lines)


def from_data(data: dict[str, Any], source: str = "flow",
              lines: dict[tuple[str, ...], int] | None = None) -> Flow:
    """Validate flow data (already parsed) and build the Flow."""
    lines = lines or {}
    try:
        config = FlowConfig.model_validate(data)
    except ValidationError as exc:
        problems = [
            _place(tuple(str(p) for p in e["loc"]), lines, e["msg"].removeprefix("Value error, "))
            for e in exc.errors()
        ]
        problems += [_place(place, lines, msg) for place, msg in _graph_without(data, exc)]
        raise FlowError(sorted(problems, key=_line_of), source) from None
    graph_problems = graph.check(config)
    if graph_problems:
        raise FlowError([_place(place, lines, msg) for place, msg in graph_problems], source)
    return Flow(config, version_of(config))


def _graph_without(data: dict[str, Any], exc: ValidationError) -> list[graph.Problem]:
    """The graph's problems in the rest of a flow whose nodes or prompts failed the schema, so
    that every kind of problem is reported at once: the failing entries are left out, and
    names of those left out count as known."""
    dropped: dict[str, set[str]] = {"nodes": set(), "prompts": set()}
    for error in exc.errors():
        loc = tuple(str(p) for p in error["loc"])
        if len(loc) < 2 or loc[0] not in dropped:
            return []  # a problem outside nodes and prompts: the graph cannot be checked
        dropped[loc[0]].add(loc[1])
    rest = {**data, **{part: {k: v for k, v in (data.get(part) or {}).items()
                              if k not in names} for part, names in dropped.items()}}
    try:
        config = FlowConfig.model_validate(rest)
    except ValidationError:
        return []
    kinds = {"node": dropped["nodes"], "prompt": dropped["prompts"]}
    return [(place, msg) for place, msg in graph.check_references(config)
            if not any(msg.startswith(f"unknown {kind} {name!r}")
                       for kind, names in kinds.items() for name in names)]


def _line_of(problem: str) -> int:
    head = problem.split(":", 1)[0]
    return int(head[5:]) if head.startswith("line ") and head[5:].isdigit() else 0


def version_of(config: FlowConfig) -> str:
    """A content hash: the same flow always gets the same version."""
    canonical = json.dumps(config_data(config), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def config_data(config: FlowConfig) -> dict[str, Any]:
    return config.model_dump(mode="json", by_alias=True, exclude_defaults=True)


def _place(loc: tuple[str, ...], lines: dict[tuple[str, ...], int], message: str) -> str:
    """'line 23: nodes.menu.options.1: message', skipping pydantic's union tags in the path."""
    path: list[str] = []
    line = lines.get((), 1)
    for part in loc:
        candidate = (*path, part)
        if candidate in lines:
            path.append(part)
            line = lines[candidate]
        elif part.startswith(("function-", "literal[", "tagged-union[")) or part in _TYPE_TAGS:
            continue
        else:
            path.append(part)
    return f"line {line}: {'.'.join(path) or '(top)'}: {message}"


_TYPE_TAGS = NODE_TYPE_NAMES


def _line_map(node: yaml.Node | None, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], int]:
    """Line number (1-based) of every key path in a composed YAML document."""
    lines: dict[tuple[str, ...], int] = {}
    if node is None:
        return lines
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, str(key.value))
            lines.update(_line_map(value, child))
            lines[child] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines.update(_line_map(item, (*path, str(index))))
    return lines
