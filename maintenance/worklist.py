"""Which follow-ups are due, and when: pure rules over clients and orders (no Redis)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from ivr.callers.directory import Client
from maintenance.orders import Order

RENEWAL_DAYS = 60  # the estimate reaches the client 60 days before the contract ends
RENEWAL_LEAD_DAYS = 30  # a renewal joins the worklist this long before its due date
DELIVERY_DAYS = 15  # an order's estimate goes out in the 15 days after its delivery

# (agency, day) -> whether the agency works that day (not a weekend, not a public holiday)
WorkingDay = Callable[[str, date], bool]


@dataclass(frozen=True)
class Due:
    """One follow-up the job puts on an agency's worklist."""

    id: str
    kind: str  # "renewal" or "delivery"
    client_id: str
    agency: str
    due: date
    reference: str  # the contract's end date, or the order id

    def as_json(self) -> dict[str, str]:
        return {"id": self.id, "kind": self.kind, "client_id": self.client_id,
                "agency": self.agency, "due": self.due.isoformat(), "reference": self.reference}


def working_day_on_or_before(day: date, agency: str, working: WorkingDay) -> date:
    """`day`, or the last working day before it: an estimate due on a weekend or a public
    holiday must be out before it, never after."""
    for _ in range(31):
        if working(agency, day):
            return day
        day -= timedelta(days=1)
    raise ValueError(f"agency {agency!r} has no working day in the month before {day}")


def renewal(client: Client, today: date, working: WorkingDay) -> Due | None:
    """The renewal estimate of a current contract whose due date is at most
    RENEWAL_LEAD_DAYS away (or past, until the contract ends)."""
    contract = client.contract
    if contract is None or contract.end < today:
        return None
    due = working_day_on_or_before(contract.end - timedelta(days=RENEWAL_DAYS), client.agency,
                                   working)
    if (due - today).days > RENEWAL_LEAD_DAYS:
        return None
    return Due(f"renewal-{client.id}-{contract.end.isoformat()}", "renewal", client.id,
               client.agency, due, contract.end.isoformat())


def delivery(order: Order, client: Client, today: date, working: WorkingDay) -> Due | None:
    """The estimate of an order delivered at most DELIVERY_DAYS ago."""
    if not order.delivered_on <= today <= order.delivered_on + timedelta(days=DELIVERY_DAYS):
        return None
    due = working_day_on_or_before(order.delivered_on + timedelta(days=DELIVERY_DAYS),
                                   client.agency, working)
    return Due(f"delivery-{client.id}-{order.order_id}", "delivery", client.id, client.agency,
               due, order.order_id)


def build(clients: Iterable[Client], orders: Iterable[Order], today: date,
          working: WorkingDay) -> list[Due]:
    """Every follow-up due from `today`'s point of view, by due date then id."""
    by_id = {client.id: client for client in clients}
    found = [item for client in by_id.values() if (item := renewal(client, today, working))]
    for order in orders:
        client = by_id.get(order.client_id)
        if client is not None and (item := delivery(order, client, today, working)):
            found.append(item)
    return sorted(found, key=lambda item: (item.due, item.id))
