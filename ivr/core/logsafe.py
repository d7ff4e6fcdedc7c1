"""Values from requests, made safe to log: a CR/LF or other control character in a webhook
parameter must not forge log lines."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
LIMIT = 120  # characters of one value kept in a log line


def clean(value: object, limit: int = LIMIT) -> str:
    """The value as text with control characters escaped (\\r, \\n, \\x1b, ...) and cut to
    `limit` characters; '-' for none."""
    if value is None or value == "":
        return "-"
    text = str(value)
    if len(text) > limit:
        text = text[:limit] + "..."
    return _CONTROL.sub(lambda found: found.group().encode("unicode_escape").decode("ascii"),
                        text)
