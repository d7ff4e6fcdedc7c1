"""Admin actions on the live switches: the emergency closure and the announcements."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import redis

from ivr.admin import audit
from ivr.core.exceptions import ActionError
from ivr.flows import switches as live
from ivr.flows.nodes.speak import Announcement
from ivr.hours import Emergency
from ivr.services.hotline import Hotline

MAX_TEXT = 1000
MAX_REASON = 200


def _emergency_json(emergency: Emergency | None, now: datetime) -> dict[str, Any] | None:
    if emergency is None or not emergency.active(now):
        return None
    return {"until": emergency.until.isoformat(), "reason": emergency.reason}


def _switch(service: Hotline, change: Any) -> Any:
    """Run `change(pipe, live_before)` in one transaction on the live switches."""

    def run(pipe: redis.client.Pipeline) -> Any:
        before = live.read(pipe)  # an immediate read, under WATCH
        pipe.multi()
        return change(pipe, before)

    return service.redis.transaction(run, live.LIVE_KEY, value_from_callable=True)


def set_emergency(service: Hotline, until: datetime | None, reason: str, by: str) -> Emergency:
    """Close the line now until `until` (it reopens by itself)."""
    now = service.clock.now()
    if until is None or until.tzinfo is None or until <= now:
        raise ActionError("the emergency closure needs an end in the future, with its UTC offset")
    reason = " ".join(reason.split())
    if len(reason) > MAX_REASON:
        raise ActionError(f"the reason may have at most {MAX_REASON} characters")

    def change(pipe: Any, before: live.Live) -> Emergency:
        live.close_emergency(pipe, now, until, reason)
        after = Emergency(until, reason, now)
        audit.write(pipe, now, by, "emergency.set", f"emergency closure until "
                    f"{until.isoformat()}" + (f": {reason}" if reason else ""),
                    _emergency_json(before.emergency, now), _emergency_json(after, now))
        return after

    emergency: Emergency = _switch(service, change)
    return emergency


def end_emergency(service: Hotline, by: str) -> bool:
    """End the emergency closure now; False when there was none."""
    now = service.clock.now()

    def change(pipe: Any, before: live.Live) -> bool:
        was = _emergency_json(before.emergency, now)
        live.end_emergency(pipe)
        if was:
            audit.write(pipe, now, by, "emergency.end", "emergency closure ended", was, None)
        return was is not None

    ended: bool = _switch(service, change)
    return ended


def announcement_names(service: Hotline) -> list[str]:
    """The announcement nodes of the published flow: the names an announcement may have."""
    nodes = service.flows.current().nodes.values()
    return sorted({node.name for node in nodes if isinstance(node, Announcement)})


def set_announcement(service: Hotline, name: str, texts: Mapping[str, str],
                     until: datetime | None, by: str) -> dict[str, Any]:
    """Play `texts` (one per language) at announcement node `name` until `until`."""
    now = service.clock.now()
    flow = service.flows.current()
    known = announcement_names(service)
    problems = []
    if name not in known:
        problems.append(f"no announcement node {name!r} in the published flow (known: "
                        f"{', '.join(known) or 'none'})")
    texts = {lang: " ".join(text.split()) for lang, text in texts.items() if text and text.strip()}
    if not texts:
        problems.append("give the text in at least one language")
    for lang, text in texts.items():
        if lang not in flow.config.languages:
            problems.append(f"{lang!r} is not a language of the flow "
                            f"({', '.join(flow.config.languages)})")
        if len(text) > MAX_TEXT:
            problems.append(f"the {lang} text may have at most {MAX_TEXT} characters")
    if until is None or until.tzinfo is None or until <= now:
        problems.append("the announcement needs an expiry in the future, with its UTC offset")
    if problems:
        raise ActionError(problems)
    assert until is not None
    after = {"text": texts, "until": until.isoformat()}

    def change(pipe: Any, before: live.Live) -> dict[str, Any]:
        live.announce(pipe, name, texts, until)
        audit.write(pipe, now, by, "announcement.set", f"announcement {name} until "
                    f"{until.isoformat()}", _announcement_json(before, name, now), after)
        return after

    result: dict[str, Any] = _switch(service, change)
    return result


def clear_announcement(service: Hotline, name: str, by: str) -> bool:
    """Withdraw an announcement now; False when none was playing."""
    now = service.clock.now()

    def change(pipe: Any, before: live.Live) -> bool:
        was = _announcement_json(before, name, now)
        live.withdraw(pipe, name)
        if was:
            audit.write(pipe, now, by, "announcement.clear", f"announcement {name} withdrawn",
                        was, None)
        return was is not None

    cleared: bool = _switch(service, change)
    return cleared


def _announcement_json(state: live.Live, name: str, now: datetime) -> dict[str, Any] | None:
    found = state.announcements.get(name)
    if not found or found["until"] <= now:
        return None
    return {"text": dict(found.get("text", {})), "until": found["until"].isoformat()}


def active(service: Hotline) -> dict[str, Any]:
    """The emergency closure and the announcements playing now."""
    now = service.clock.now()
    state = live.read(service.redis)
    announcements = {name: _announcement_json(state, name, now) for name in state.announcements}
    return {"emergency": _emergency_json(state.emergency, now),
            "announcements": {k: v for k, v in sorted(announcements.items()) if v}}
