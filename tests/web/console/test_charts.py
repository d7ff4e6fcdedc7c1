"""Charts of the figures: round axis tops, bars in proportion, hours shown."""

from __future__ import annotations

import pytest

from ivr.web.console import charts


@pytest.mark.parametrize(("value", "top", "step"), [
    (0, 1, 1), (1, 1, 1), (3, 3, 1), (7, 8, 2), (10, 10, 5), (37, 40, 10), (130, 150, 50),
    (999, 1000, 500),
])
def test_the_axis_top_is_a_round_number_at_or_above_the_largest_value(value, top, step):
    assert charts.nice_top(value) == (top, step)


def hours(**calls: tuple[int, int]) -> list[dict[str, int]]:
    """24 hours; calls given as h09=(answered, abandoned)."""
    found = [{"hour": h, "offered": 0, "answered": 0, "abandoned": 0, "overflow": 0}
             for h in range(24)]
    for name, (answered, abandoned) in calls.items():
        hour = found[int(name[1:])]
        hour.update(offered=answered + abandoned, answered=answered, abandoned=abandoned)
    return found


def test_bars_stack_by_outcome_in_proportion():
    chart = charts.hourly(hours(h09=(3, 1), h10=(1, 0)), "t", width=244, height=132)
    # 10 hours shown (08-17): 200 px wide plot, 20 px a slot; top 4 over a 100 px plot
    assert [t.text for t in chart.texts if t.anchor == "middle"] == [
        "08", "09", "10", "11", "12", "13", "14", "15", "16", "17"]
    assert [(r.kind, r.x, r.y, r.w, r.h) for r in chart.rects] == [
        ("answered", 59.0, 35.0, 14.0, 75.0), ("abandoned", 59.0, 10.0, 14.0, 25.0),
        ("answered", 79.0, 85.0, 14.0, 25.0)]
    assert chart.rects[1].title == "09:00 abandoned: 1"


def test_hours_with_calls_outside_opening_widen_the_chart():
    chart = charts.hourly(hours(h06=(1, 0), h20=(0, 1)), "t")
    shown = [t.text for t in chart.texts if t.anchor == "middle"]
    assert (shown[0], shown[-1], len(shown)) == ("06", "20", 15)


def test_a_day_without_calls_is_an_empty_chart():
    assert charts.hourly(hours(), "t").empty
