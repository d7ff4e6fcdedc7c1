"""RQ jobs of callbacks: module-level functions taking a callback id, safe to run twice."""

from __future__ import annotations


def wake(cb_id: str) -> str:
    """A scheduled callback is due (RQ's scheduler runs this at its time)."""
    from callbacks.scheduling import wake as wake_callback
    from ivr.services import worker_hotline

    return wake_callback(worker_hotline(), cb_id)
