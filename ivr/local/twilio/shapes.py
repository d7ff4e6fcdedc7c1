"""Twilio's JSON shapes: Call, Queue and Member resources, list pages (Page, PageSize)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from email.utils import format_datetime
from typing import Any, Protocol, TypeVar
from urllib.parse import urlencode

from flask import request

from ivr.local.twilio.model import FINAL, Call, Queue, World

API = "/2010-04-01"
CALLBACK_EVENTS = frozenset({"initiated", "ringing", "answered", "completed"})


def rfc2822(moment: datetime | None) -> str | None:
    return format_datetime(moment) if moment else None


def call_json(call: Call) -> dict[str, Any]:
    uri = f"{API}/Accounts/{call.account_sid}/Calls/{call.sid}"
    duration = str(call.duration) if call.status in FINAL else None
    return {
        "sid": call.sid, "account_sid": call.account_sid, "api_version": "2010-04-01",
        "date_created": rfc2822(call.created), "date_updated": rfc2822(call.updated),
        "parent_call_sid": call.parent.sid if call.parent else None,
        "to": call.to, "to_formatted": call.to, "from": call.from_,
        "from_formatted": call.from_, "phone_number_sid": None, "status": call.status,
        "start_time": rfc2822(call.started), "end_time": rfc2822(call.ended),
        "duration": duration, "price": None, "price_unit": "USD",
        "direction": call.direction, "answered_by": None, "forwarded_from": None,
        "group_sid": None, "caller_name": None, "queue_time": str(call.queue_time),
        "trunk_sid": None, "annotation": None, "uri": uri + ".json",
        "subresource_uris": {name: f"{uri}/{name.title().replace('_', '')}.json"
                             for name in ("notifications", "recordings", "events")},
    }


def queue_json(local: World, queue: Queue) -> dict[str, Any]:
    uri = f"{API}/Accounts/{local.account_sid}/Queues/{queue.sid}"
    return {
        "sid": queue.sid, "account_sid": local.account_sid, "friendly_name": queue.name,
        "current_size": len(queue.members), "max_size": queue.max_size,
        "average_wait_time": local.average_wait(queue),
        "date_created": rfc2822(queue.created), "date_updated": rfc2822(queue.updated),
        "uri": uri + ".json", "subresource_uris": {"members": uri + "/Members.json"},
    }


def member_json(local: World, queue: Queue, call: Call, position: int) -> dict[str, Any]:
    return {
        "call_sid": call.sid, "queue_sid": queue.sid, "position": position,
        "date_enqueued": rfc2822(call.enqueued),
        "wait_time": int(local.clock.now() - call.sim_enqueued),
        "uri": f"{API}/Accounts/{local.account_sid}/Queues/{queue.sid}/Members/{call.sid}.json",
    }


class Created(Protocol):
    created: datetime


Item = TypeVar("Item", bound=Created)


def newest_matching(items: Iterable[Item], filters: dict[str, str]) -> list[Item]:
    """The items newest first, keeping those whose attribute equals each filter the request
    gives (`{"To": "to"}`: `?To=+33...` keeps the items whose `.to` is that number)."""
    found = sorted(items, key=lambda item: item.created, reverse=True)
    for name, attr in filters.items():
        wanted = request.args.get(name)
        if wanted:
            found = [item for item in found if getattr(item, attr) == wanted]
    return found


def page(key: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    """One page of a list, with Twilio's paging keys (Page, PageSize)."""
    size = int_of(request.args.get("PageSize"), 50, 1, 1000)
    number = int_of(request.args.get("Page"), 0, 0, 10**6)
    start = number * size
    chunk = items[start:start + size]
    filters = {k: v for k, v in request.args.items() if k not in ("Page", "PageSize",
                                                                   "PageToken")}

    def uri(n: int) -> str:
        return f"{request.path}?" + urlencode({**filters, "PageSize": size, "Page": n})

    return {key: chunk, "page": number, "page_size": size, "start": start,
            "end": start + max(len(chunk) - 1, 0), "uri": uri(number),
            "first_page_uri": uri(0), "previous_page_uri": uri(number - 1) if number else None,
            "next_page_uri": uri(number + 1) if start + size < len(items) else None}


def int_of(raw: str | None, default: int, low: int, high: int) -> int:
    """A form or query integer, clamped to [low, high]; `default` when absent or bad."""
    try:
        value = int(raw) if raw else default
    except ValueError:
        return default
    return min(max(value, low), high)


def is_url(raw: str | None) -> bool:
    """An http:// or https:// URL."""
    return bool(raw) and raw.startswith(("http://", "https://"))  # type: ignore[union-attr]


def events_of(values: Iterable[str]) -> frozenset[str] | None:
    """StatusCallbackEvent values (repeated or space-separated); None when one is unknown."""
    events = frozenset(word for value in values for word in value.replace(",", " ").split())
    return events if events <= CALLBACK_EVENTS else None
