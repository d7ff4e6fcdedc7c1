"""RQ jobs of callbacks: module-level functions, safe to run twice. A wake job takes a callback
id; the placer job takes none: it dials whichever callbacks are ready, each claimed first."""

from __future__ import annotations


def wake(cb_id: str) -> str:
    """A scheduled callback is due (RQ's scheduler runs this at its time)."""
    from callbacks.scheduling import wake as wake_callback
    from ivr.services import worker_hotline

    return wake_callback(worker_hotline(), cb_id)


def place() -> dict[str, str]:
    """Dial a batch of the callbacks an agent is held for (sent by routing, see
    `ivr.centre.dispatch`); what became of each, by callback id."""
    from callbacks.placing import place_ready
    from ivr.services import worker_hotline

    return place_ready(worker_hotline())
