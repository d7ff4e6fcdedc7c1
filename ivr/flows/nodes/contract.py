"""Node check_contract: where the caller's maintenance contract lets them go."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ivr.callers.directory import Contract
from ivr.flows.call import Call
from ivr.flows.nodes.base import Node
from ivr.flows.refs import NodeRef, ScheduleRef


class CheckContract(Node):
    """Branch on the identified client's contract: active, expiring (ends within
    `expiring_days`), expired, or none. Sets `contract_end`. Today is the call's clock in
    `schedule`'s time zone."""

    type: Literal["check_contract"]
    schedule: ScheduleRef
    expiring_days: int = Field(default=60, ge=0, le=365)
    active: NodeRef
    expiring: NodeRef
    expired: NodeRef
    none: NodeRef

    def enter(self, call: Call) -> str | None:
        client = call.state.client or {}
        if not client.get("contract"):
            call.state.vars["contract_state"] = "none"
            return self.none
        contract = Contract.model_validate(client["contract"])
        call.state.vars["contract_end"] = contract.end.isoformat()
        state = contract.state(call.today(call.schedule(self.schedule)), self.expiring_days)
        call.state.vars["contract_state"] = state
        return {"active": self.active, "expiring": self.expiring, "expired": self.expired}[state]
