"""Admin actions on clients and callers: import a CSV, lift a caller number's lock-out."""

from __future__ import annotations

from pathlib import Path

from ivr.admin import audit
from ivr.callers import client_csv, directory, guard
from ivr.core.exceptions import ActionError
from ivr.core.phones import mask, parse_phone
from ivr.services.hotline import Hotline


def import_clients(service: Hotline, data: Path | bytes, filename: str, by: str) -> int:
    """Upsert every client of a CSV file (a path, streamed, or an upload's bytes; comma or
    semicolon separated), or none: each bad row is reported with its line (ImportRowsError).
    Agencies must be those of the flow."""
    agencies = service.flows.current().config.agencies
    before = service.redis.scard(directory.CLIENTS_KEY)
    count = client_csv.import_csv(service.redis, data, agencies)
    after = service.redis.scard(directory.CLIENTS_KEY)
    audit.record(service.redis, service.clock.now(), by, "clients.import",
                 f"{count} client(s) from {filename[:100]}", {"clients": before},
                 {"clients": after, "imported": count})
    return count


def unlock_number(service: Hotline, number: str, by: str) -> str:
    """Lift the lock-out of a caller number (typed in any usual form); its E.164 form."""
    parsed = parse_phone(number)
    if parsed is None:
        raise ActionError(f"not a phone number: {number[:40]!r}")
    locked = guard.locked_numbers(service.redis, service.clock.now())
    if not guard.unlock(service.redis, parsed) and parsed not in locked:
        raise ActionError(f"{mask(parsed)} is not locked out")
    audit.record(service.redis, service.clock.now(), by, "guard.unlock",
                 f"caller number {mask(parsed)} unlocked",
                 {"locked_until": locked[parsed].isoformat() if parsed in locked else None}, None)
    return parsed
