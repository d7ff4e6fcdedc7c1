"""Node check_hours: branch on the opening hours, and remember when the line opens again."""

from __future__ import annotations

from typing import ClassVar, Literal

from ivr.flows.call import Call
from ivr.flows.nodes.base import Node
from ivr.flows.refs import NodeRef, ScheduleRef


class CheckHours(Node):
    """Open -> `open`; emergency closure -> `emergency`; public holiday -> `holiday`; dated
    closure -> `closure`; otherwise closed, or an optional branch missing -> `closed`.

    Sets `next_open` (spoken 'lundi 28 décembre à 8 h 30'), `holiday` and `closure`.
    With `by_agency`, an identified caller's agency schedule is used instead of `schedule`.
    """

    type: Literal["check_hours"]
    enter_needs: ClassVar[frozenset[str]] = frozenset({"live"})
    schedule: ScheduleRef
    by_agency: bool = False
    open: NodeRef
    closed: NodeRef
    emergency: NodeRef | None = None
    holiday: NodeRef | None = None
    closure: NodeRef | None = None

    def enter(self, call: Call) -> str | None:
        schedule = call.schedule(self.schedule, self.by_agency)
        status = schedule.status(call.now, call.live.emergency, call.lang)
        if status.open:
            return self.open
        call.state.vars.update(
            next_open=status.next_open.isoformat(),
            holiday=status.holiday or "",
            closure=status.closure or "",
        )
        if status.reason == "emergency" and self.emergency:
            return self.emergency
        if status.reason == "holiday" and self.holiday:
            return self.holiday
        if status.reason == "closure" and self.closure:
            return self.closure
        return self.closed
