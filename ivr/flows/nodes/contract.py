"""Node check_contract: where the caller's maintenance contract lets them go."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from ivr.callers.directory import Contract
from ivr.flows.call import Call
from ivr.flows.nodes.base import Node
from ivr.flows.refs import Key, NodeRef, PromptRef, ScheduleRef


class RenewalOffer(BaseModel):
    """What a caller whose contract ends within `expiring_days` hears at the contract check:
    the end date, and a key to their own agency's maintenance service (the support FAQ:
    each agency has its own, and it prepares the renewal)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    prompt: PromptRef  # says {contract_end} and the key
    key: Key = "2"
    to: NodeRef  # an enqueue node: the maintenance queue, the caller's agency first
    timeout: int = Field(default=5, ge=1, le=30)  # seconds; no key (or another) -> `expiring`


class CheckContract(Node):
    """Branch on the identified client's contract: active, expiring (ends within
    `expiring_days`), expired, or none. Sets `contract_end`. Today is the call's clock in
    `schedule`'s time zone. With `renewal`, an expiring caller is asked first: its key leads
    to `renewal.to`, anything else to `expiring`."""

    type: Literal["check_contract"]
    # waits only with a renewal offer, for an expiring contract
    waits: ClassVar[bool] = True
    asks: ClassVar[bool] = True
    passes: ClassVar[bool] = True
    schedule: ScheduleRef
    expiring_days: int = Field(default=60, ge=0, le=365)
    active: NodeRef
    expiring: NodeRef
    expired: NodeRef
    none: NodeRef
    renewal: RenewalOffer | None = None

    def enter(self, call: Call) -> str | None:
        client = call.state.client or {}
        if not client.get("contract"):
            call.state.vars["contract_state"] = "none"
            return self.none
        contract = Contract.model_validate(client["contract"])
        call.state.vars["contract_end"] = contract.end.isoformat()
        state = contract.state(call.today(call.schedule(self.schedule)), self.expiring_days)
        call.state.vars["contract_state"] = state
        if state == "expiring" and self.renewal is not None:
            gather = call.gather(num_digits=1, timeout=self.renewal.timeout)
            call.say(self.renewal.prompt, into=gather)
            return None
        return {"active": self.active, "expiring": self.expiring, "expired": self.expired}[state]

    def receive(self, call: Call) -> str | None:
        if self.renewal is not None and call.keys == self.renewal.key:
            call.note_choice(self.renewal.key)
            return self.renewal.to
        return self.expiring

    def problems(self, nodes: Mapping[str, Node]) -> Iterator[tuple[str, str]]:
        if self.renewal is None:
            return
        target = nodes.get(self.renewal.to)
        kind = getattr(target, "type", None)
        if target is not None and kind != "enqueue":
            yield ("renewal.to", f"must name an enqueue node (the maintenance queue), "
                   f"not the {kind} node {self.renewal.to!r}")
