"""RQ jobs of the hotline. Jobs take ids, not objects, and open their own app context."""

from __future__ import annotations

QUEUE = "callbacks"
