"""What every node type shares: references to other parts of the flow, and the step protocol."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from ivr.flows.call import Call


@dataclass(frozen=True)
class Ref:
    """Marks a field as naming another part of the flow: a node, prompt, schedule or queue."""

    kind: str


NodeRef = Annotated[str, Ref("node")]
PromptRef = Annotated[str, Ref("prompt")]
ScheduleRef = Annotated[str, Ref("schedule")]
QueueRef = Annotated[str, Ref("queue")]
Key = Annotated[str, Field(pattern=r"^[0-9*#]$")]
# returned by `receive` for a report that changes nothing: the node goes on waiting, the call
# state is left as it is (Twilio ignores the answer to such a report)
STAY = "<stay>"


class Node(BaseModel):
    """A step of the call flow.

    `enter` runs when the call reaches the node: it adds verbs to the answer and returns the
    next node's name, or None when the answer is complete (the caller is asked something,
    or the call leaves the flow). Nodes that wait (`waits = True`) get what Twilio posts back
    in `receive`, which returns the next node's name (its own to ask again). Nodes that ask
    (`asks = True`) wait for the caller's own input; only those may close a loop.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    waits: ClassVar[bool] = False
    asks: ClassVar[bool] = False
    needs_callbacks: ClassVar[bool] = False  # the flow must have a callbacks: section
    needs_sms: ClassVar[bool] = False  # the flow must have an sms: section
    passes: ClassVar[bool] = False  # a node that waits, but may go on without asking
    # the call's state may ride in this node's action URL (ivr/flows/token.py): its answer is
    # the caller's keys, and a repeated answer may be run again (what it counts is keyed by
    # call and step); other nodes keep the state in Redis
    sealable: ClassVar[bool] = False
    # `enter` depends on nothing but the node and the call's language and variables (no
    # time, no caller, nothing read): a flow starting with such nodes up to a question gives
    # every new call the same first answer, built once per version (Engine.incoming)
    steady: ClassVar[bool] = False
    # what `enter` / `receive` read from Redis, fetched before the step in one round trip
    enter_needs: ClassVar[frozenset[str]] = frozenset()
    receive_needs: ClassVar[frozenset[str]] = frozenset()

    def read_ahead(self, call: Call) -> Callable[[Any], None] | None:
        """A read (or an atomic check) of this node's own to queue on the step's one round
        trip, before `receive`; its result is `call.fetched["ahead"]`."""
        return None

    def seals(self, call: Call) -> bool:
        """Whether the call's state, waiting here now, may ride in the action URL."""
        return self.sealable

    def enter(self, call: Call) -> str | None:
        raise NotImplementedError

    def receive(self, call: Call) -> str | None:
        """Handle the caller's answer; only nodes that ask get one."""
        raise NotImplementedError(f"{type(self).__name__} does not ask the caller anything")

    def references(self) -> Iterator[tuple[str, str, str]]:
        """(place, kind, name) for each name this node gives of another part of the flow."""
        return _refs(self, "")

    def next_nodes(self) -> Iterator[str]:
        return (name for _, kind, name in self.references() if kind == "node")

    def problems(self, nodes: Mapping[str, Node]) -> Iterator[tuple[str, str]]:
        """(place, what is wrong) for settings that depend on the flow's other nodes."""
        return iter(())


def refs_of(model: BaseModel) -> Iterator[tuple[str, str, str]]:
    """(place, kind, name) for each name a part of the flow (not a node) gives of another."""
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
