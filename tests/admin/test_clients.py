"""Admin actions on clients: CSV import (semicolons, formulas, agencies, size), unlock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ivr.admin import audit, clients
from ivr.callers import client_csv, directory, guard
from ivr.core.exceptions import ActionError, ImportRowsError
from tests.helpers import UNKNOWN_CALLER, scripted_call

HEADER = "client_id;company;agency;phones;contract_end\n"


@pytest.fixture
def service(app):
    return app.extensions["ivr"]


def test_semicolon_csv_is_imported_and_audited(service):
    data = (HEADER + "2001;Dupont & Fils;paris;01 44 00 20 01;2030-01-31\n").encode()
    assert clients.import_clients(service, data, "export.csv", "ada") == 1
    assert directory.get_client(service.redis, "2001").company == "Dupont & Fils"
    [entry] = audit.entries(service.redis)
    assert (entry["action"], entry["what"]) == ("clients.import", "1 client(s) from export.csv")
    assert entry["after"] == {"clients": 8, "imported": 1}


def test_every_bad_row_is_reported_in_plain_words_and_nothing_imported(service):
    data = (HEADER
            + "2001;=cmd|' /C calc'!A0;paris;0144002001;2030-01-31\n"
            + "2002;Nord;marseille;0144002002;2030-01-31\n"
            + "2003;Sud;paris;0144002003;31/01/2030\n"
            + "2004;<script>alert(1)</script>;paris;0144002004;2030-01-31\n").encode()
    with pytest.raises(ImportRowsError) as caught:
        clients.import_clients(service, data, "bad.csv", "ada")
    assert caught.value.problems == [
        "line 2, column 2 (company): starts with '=', which a spreadsheet would run as a "
        "formula; remove it",
        "line 3, column 3 (agency): 'marseille' is not an agency of the flow (alsace, lille, "
        "lyon, paris, rennes, toulouse)",
        "line 4, column 5 (contract_end): date must be YYYY-MM-DD, got '31/01/2030'",
    ]
    assert directory.get_client(service.redis, "2004") is None
    assert audit.entries(service.redis) == []


def test_too_many_rows_are_refused(service, monkeypatch):
    monkeypatch.setattr(client_csv, "MAX_ROWS", 50)  # the same rule, on a small file
    rows = "".join(f"{n};C{n};paris;;2030-01-31\n" for n in range(1, client_csv.MAX_ROWS + 2))
    with pytest.raises(ImportRowsError, match=f"more than {client_csv.MAX_ROWS} clients"):
        clients.import_clients(service, (HEADER + rows).encode(), "big.csv", "ada")
    assert service.redis.scard(directory.CLIENTS_KEY) == 7


def test_locked_out_number_is_listed_and_unlocked(app, service):
    for _ in range(2):  # 3 wrong ids per call; 5 failures lock the number out
        scripted_call(app, "-", "9991#", "9992#", "9993#", caller=UNKNOWN_CALLER)
    now = service.clock.now()
    locked = guard.locked_numbers(service.redis, now)
    assert list(locked) == [UNKNOWN_CALLER]
    assert locked[UNKNOWN_CALLER] > now + timedelta(minutes=59)
    assert clients.unlock_number(service, "06 12 34 56 78", "ada") == UNKNOWN_CALLER
    assert guard.locked_numbers(service.redis, now) == {}
    [entry] = audit.entries(service.redis, action="guard")
    assert entry["what"] == f"caller number {'*' * 10}78 unlocked"
    with pytest.raises(ActionError, match="is not locked out"):
        clients.unlock_number(service, UNKNOWN_CALLER, "ada")
    with pytest.raises(ActionError, match="not a phone number"):
        clients.unlock_number(service, "hello", "ada")
