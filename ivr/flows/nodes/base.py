"""What every node type shares: the step protocol, and the names it gives of other parts."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from ivr.flows.call import Call
from ivr.flows.refs import refs_of

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
        return refs_of(self)

    def next_nodes(self) -> Iterator[str]:
        return (name for _, kind, name in self.references() if kind == "node")

    def problems(self, nodes: Mapping[str, Node]) -> Iterator[tuple[str, str]]:
        """(place, what is wrong) for settings that depend on the flow's other nodes."""
        return iter(())

