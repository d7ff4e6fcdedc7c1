"""Orders: the CSV import names each bad cell by line and column; nothing of a bad file is
kept; the export reads back the same."""

from __future__ import annotations

import io
import threading

import pytest

from ivr.core.exceptions import ImportRowsError
from maintenance import actions, orders, store

HEADER = "client_id,order_id,product,delivered_on\n"


def test_each_bad_cell_is_named_by_line_and_column_and_nothing_is_kept(service, r):
    before = orders.all_orders(r)
    bad = (HEADER + "2001,N1,SEE,2026-12-01\n" + "2001,N2,,2026-13-01\n"
           + "9999,N3,SEE,2026-12-01\n" + "2001,N1,SEE,2026-12-02\n" + "2002,N4\n").encode()
    with pytest.raises(ImportRowsError) as caught:
        actions.import_orders(service, bad, "orders.csv", "system")
    assert caught.value.problems == [
        "line 3, column 3 (product): String should have at least 1 character, got ''",
        "line 3, column 4 (delivered_on): Input should be a valid date or datetime, month "
        "value is outside expected range of 1-12, got '2026-13-01'",
        "line 4, column 1 (client_id): no client 9999 in the directory",
        "line 5, column 2 (order_id): order N1 of client 2001 already on line 2",
        "line 6: 2 cells for 4 columns",
    ]
    assert orders.all_orders(r) == before


def test_a_missing_column_is_named_on_line_one(service):
    with pytest.raises(ImportRowsError) as caught:
        actions.import_orders(service, b"client_id;order_id;product\n2001;N1;SEE\n", "o.csv",
                              "system")
    assert caught.value.problems == ["line 1: missing column(s): delivered_on"]


def test_a_cell_a_spreadsheet_would_run_is_refused(service):
    with pytest.raises(ImportRowsError) as caught:
        actions.import_orders(service, (HEADER + "2001,N1,=HYPERLINK(1),2026-12-01\n").encode(),
                              "o.csv", "system")
    assert caught.value.problems == [
        "line 2, column 3 (product): starts with '=', which a spreadsheet would run as a "
        "formula; remove it"]


def test_semicolons_and_the_export_round_trip(service, r):
    actions.import_orders(service, "client_id;order_id;product;delivered_on\n"
                          "2002;N9;SEE Électrique, 2 postes;2026-12-01\n".encode(), "o.csv",
                          "system")
    out = io.StringIO()
    assert orders.export_csv(r, out) == 6
    assert '2002,N9,"SEE Électrique, 2 postes",2026-12-01' in out.getvalue().splitlines()


def test_an_import_puts_the_new_orders_estimates_on_the_worklist(service, r):
    """2002 (Paris) delivered Thursday 3 December: due Friday 18 December, listed at once."""
    count, created = actions.import_orders(service, (HEADER + "2002,N7,SEE,2026-12-03\n").encode(),
                                           "o.csv", "system")
    assert count == 1
    assert created == 8  # the 7 follow-ups of the day (tests/maintenance/test_daily_job.py)
    item = store.get(r, "delivery-2002-N7")
    assert (item.agency, item.due.isoformat(), item.state) == ("paris", "2026-12-18", "todo")
    again = actions.import_orders(service, (HEADER + "2002,N7,SEE,2026-12-03\n").encode(),
                                  "o.csv", "system")
    assert again == (1, 0)


def test_two_imports_at_once_end_with_one_file_whole_and_one_item_per_order(service, r):
    files = {tag: (HEADER + "".join(f"2002,N{n},{tag} {n},2026-12-0{n}\n"
                                    for n in range(1, 8))).encode() for tag in ("A", "B")}
    def run(data: bytes, start: threading.Barrier, failed: list[Exception]) -> None:
        start.wait()
        try:
            actions.import_orders(service, data, "o.csv", "system")
        except Exception as exc:  # reported below, in the test's thread
            failed.append(exc)

    for _ in range(5):
        start = threading.Barrier(2)
        failed: list[Exception] = []
        threads = [threading.Thread(target=run, args=(d, start, failed)) for d in files.values()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failed == []
        mine = [o for o in orders.all_orders(r) if o.client_id == "2002"]
        assert len(mine) == 7
        assert len({o.product.split()[0] for o in mine}) == 1  # never a mix of the two files
        ids = [i.id for i in store.items(r, "paris") if i.id.startswith("delivery-2002-")]
        assert sorted(ids) == [f"delivery-2002-N{n}" for n in range(1, 8)]
