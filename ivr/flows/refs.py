"""Names one part of the flow gives of another (a node, prompt, schedule or queue), marked in
the schema's annotations, and the walk that finds them (the graph checks, `next_nodes`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, Field


@dataclass(frozen=True)
class Ref:
    """Marks a field as naming another part of the flow: a node, prompt, schedule or queue."""

    kind: str


NodeRef = Annotated[str, Ref("node")]
PromptRef = Annotated[str, Ref("prompt")]
ScheduleRef = Annotated[str, Ref("schedule")]
QueueRef = Annotated[str, Ref("queue")]
Key = Annotated[str, Field(pattern=r"^[0-9*#]$")]


def refs_of(model: BaseModel) -> Iterator[tuple[str, str, str]]:
    """(place, kind, name) for each name a part of the flow gives of another."""
    return _refs(model, "")


def _refs(model: BaseModel, prefix: str) -> Iterator[tuple[str, str, str]]:
    for field_name, info in type(model).model_fields.items():
        kind = _ref_kind(info.metadata) or _ref_kind_in(info.annotation)
        yield from _walk(getattr(model, field_name), kind, prefix + field_name)


def _walk(value: object, kind: str | None, place: str) -> Iterator[tuple[str, str, str]]:
    if isinstance(value, BaseModel):
        yield from _refs(value, place + ".")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, kind, f"{place}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _walk(item, kind, f"{place}.{index}")
    elif isinstance(value, str) and kind:
        yield place, kind, value


def _ref_kind(metadata: object) -> str | None:
    return next((m.kind for m in metadata or () if isinstance(m, Ref)), None)  # type: ignore[attr-defined]


def _ref_kind_in(annotation: object) -> str | None:
    """The Ref kind inside dict[str, NodeRef], list[PromptRef], NodeRef | None, ..."""
    for arg in getattr(annotation, "__args__", None) or ():
        kind = _ref_kind(getattr(arg, "__metadata__", ())) or _ref_kind_in(arg)
        if kind:
            return kind
    return None
