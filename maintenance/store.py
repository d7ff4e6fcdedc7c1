"""Worklist items in Redis: one hash per item, one index per agency; every state change is
one Lua call that checks the state the user saw, so two users at once leave one state."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import redis

from maintenance.worklist import Due

ITEM_KEY = "maint:item:{}"  # hash: the item's fields
AGENCY_KEY = "maint:agency:{}"  # sorted set: item ids, score = due date (proleptic ordinal)
AGENCIES_KEY = "maint:agencies"  # set: agencies that have items
STATES = ("todo", "estimate_sent", "renewed", "lost")
OPEN_STATES = ("todo", "estimate_sent")
State = Literal["todo", "estimate_sent", "renewed", "lost"]


@dataclass(frozen=True)
class Item:
    """A follow-up on an agency's worklist, with its state and who set it when."""

    id: str
    kind: str
    client_id: str
    agency: str
    due: date
    reference: str
    state: str
    changed_by: str
    changed_at: str
    created_at: str

    @property
    def open(self) -> bool:
        return self.state in OPEN_STATES

    def overdue(self, today: date) -> bool:
        return self.state == "todo" and self.due < today

    def as_json(self, today: date) -> dict[str, object]:
        return {"id": self.id, "kind": self.kind, "client_id": self.client_id,
                "agency": self.agency, "due": self.due.isoformat(),
                "reference": self.reference, "state": self.state,
                "overdue": self.overdue(today), "changed_by": self.changed_by,
                "changed_at": self.changed_at, "created_at": self.created_at}


# KEYS: the agencies set; ARGV: now, then per item its 7 fields (id, kind, client, agency,
# due ISO, due ordinal, reference). A new item starts "todo"; a known one keeps its state and
# only follows a changed due date (a holiday added to the schedule, say).
_UPSERT = """
local created = 0
for i = 2, #ARGV, 7 do
  local id, kind, client, agency = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local due, score, reference = ARGV[i + 4], ARGV[i + 5], ARGV[i + 6]
  local key = 'maint:item:' .. id
  if redis.call('EXISTS', key) == 0 then
    redis.call('HSET', key, 'id', id, 'kind', kind, 'client_id', client, 'agency', agency,
               'due', due, 'reference', reference, 'state', 'todo', 'changed_by', 'system',
               'changed_at', ARGV[1], 'created_at', ARGV[1])
    created = created + 1
  else
    redis.call('HSET', key, 'due', due)
  end
  redis.call('ZADD', 'maint:agency:' .. agency, score, id)
  redis.call('SADD', KEYS[1], agency)
end
return created
"""

# KEYS: the item; ARGV: the state the user saw ('' = any), the new state, who, now.
# Returns {'ok', previous} | {'unknown', ''} | {'conflict', current} | {'same', current}.
_CHANGE = """
local current = redis.call('HGET', KEYS[1], 'state')
if not current then return {'unknown', ''} end
if ARGV[1] ~= '' and ARGV[1] ~= current then return {'conflict', current} end
if current == ARGV[2] then return {'same', current} end
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'changed_by', ARGV[3], 'changed_at', ARGV[4])
return {'ok', current}
"""


def upsert(r: redis.Redis, dues: Iterable[Due], now: datetime) -> int:
    """Put follow-ups on their agencies' worklists; how many were new. Safe to run twice."""
    args: list[str] = [now.isoformat(timespec="seconds")]
    for due in dues:
        args += [due.id, due.kind, due.client_id, due.agency, due.due.isoformat(),
                 str(due.due.toordinal()), due.reference]
    if len(args) == 1:
        return 0
    created: Any = r.eval(_UPSERT, 1, AGENCIES_KEY, *args)
    return int(created)


def change_state(r: redis.Redis, item_id: str, seen: str, state: str, who: str,
                 now: datetime) -> tuple[str, str]:
    """Set an item's state if it is still `seen` ('' = whatever it is): (outcome, previous or
    current state), outcome one of ok, unknown, conflict, same."""
    if state not in STATES:
        raise ValueError(f"state must be one of {', '.join(STATES)}, got {state!r}")
    reply: Any = r.eval(_CHANGE, 1, ITEM_KEY.format(item_id), seen, state, who,
                        now.isoformat(timespec="seconds"))
    outcome, previous = reply
    return str(outcome), str(previous)


def get(r: redis.Redis, item_id: str) -> Item | None:
    fields: Any = r.hgetall(ITEM_KEY.format(item_id))
    return _item(fields) if fields else None


def agencies(r: redis.Redis) -> list[str]:
    found: Any = r.smembers(AGENCIES_KEY)
    return sorted(found)


def items(r: redis.Redis, agency: str | None = None) -> list[Item]:
    """Items of one agency (or all), by due date; sorting for a page is `ordered`'s job."""
    ids: list[str] = []
    for name in [agency] if agency else agencies(r):
        ids += r.zrange(AGENCY_KEY.format(name), 0, -1)  # type: ignore[arg-type]
    pipe = r.pipeline(transaction=False)
    for item_id in ids:
        pipe.hgetall(ITEM_KEY.format(item_id))
    return [_item(fields) for fields in pipe.execute() if fields]


def ordered(found: Iterable[Item], today: date) -> list[Item]:
    """Overdue first, then open items by due date, then closed ones (renewed, lost)."""
    return sorted(found, key=lambda i: (not i.overdue(today), not i.open, i.due, i.id))


def open_item(r: redis.Redis, client_id: str, agency: str) -> Item | None:
    """The client's open item with the earliest due date, if any (for the screen pop)."""
    mine = [i for i in items(r, agency) if i.client_id == client_id and i.open]
    return min(mine, key=lambda i: (i.due, i.id)) if mine else None


def _item(fields: dict[str, str]) -> Item:
    return Item(id=fields["id"], kind=fields["kind"], client_id=fields["client_id"],
                agency=fields["agency"], due=date.fromisoformat(fields["due"]),
                reference=fields["reference"], state=fields["state"],
                changed_by=fields["changed_by"], changed_at=fields["changed_at"],
                created_at=fields["created_at"])
