"""Edits of a flow's YAML that keep the admin's comments, order and quoting (ruamel.yaml's
round trip), for the changes made from forms."""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from ivr.core.exceptions import ActionError


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap an admin's long line
    return yaml


def load(text: str) -> CommentedMap:
    try:
        doc = _yaml().load(text)
    except YAMLError as exc:
        raise ActionError(f"the published flow cannot be edited: {exc}") from None
    if not isinstance(doc, CommentedMap):
        raise ActionError("the published flow is not a mapping")
    return doc


def dump(doc: CommentedMap) -> str:
    out = io.StringIO()
    _yaml().dump(doc, out)
    return out.getvalue()


def inline(items: list[Any]) -> CommentedSeq:
    """A list written on one line: ["08:30-12:30", "13:30-17:30"]."""
    seq = CommentedSeq([quoted(i) if isinstance(i, str) else i for i in items])
    seq.fa.set_flow_style()
    return seq


def inline_map(values: dict[str, Any]) -> CommentedMap:
    """A mapping written on one line: {date: 2026-12-24, reason: ...}."""
    mapping = CommentedMap(values)
    mapping.fa.set_flow_style()
    return mapping


def quoted(text: str) -> DoubleQuotedScalarString:
    """A string kept a string by every YAML reader ("13:30" is a number to YAML 1.1)."""
    return DoubleQuotedScalarString(text)


def section(doc: CommentedMap, *path: str) -> Any:
    """doc[path[0]][path[1]]..., or ActionError naming the missing part."""
    node: Any = doc
    for depth, key in enumerate(path):
        if not isinstance(node, dict) or key not in node:
            raise ActionError(f"no {'.'.join(path[:depth + 1])} in the published flow")
        node = node[key]
    return node
