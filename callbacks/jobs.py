"""The RQ jobs of callbacks under the names an earlier version queued them by.

Jobs live beside the work they do: `callbacks.scheduling.wake_job` (a callback id) and
`callbacks.placing.place_job` (none). A wake job queued before an upgrade may wait days for
the next opening under its old name, `callbacks.jobs.wake`; these names keep it running.
"""

from __future__ import annotations

from callbacks.placing import place_job as place
from callbacks.scheduling import wake_job as wake

__all__ = ["place", "wake"]
