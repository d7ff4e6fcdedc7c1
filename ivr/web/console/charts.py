"""Charts of a day's figures, drawn on the server: the geometry of SVG shapes, which the
template `supervisor/_chart.html` writes out (escaped, like every text on the page)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

OUTCOME_KINDS = (("answered", "Answered"), ("abandoned", "Abandoned"), ("overflow", "Overflow"))
OPEN_HOURS = (8, 18)  # always shown; hours with calls outside them widen the chart
LEFT, RIGHT, TOP, BOTTOM = 36, 8, 10, 22


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    kind: str  # CSS class: answered, abandoned, overflow, wait, p90, handle
    title: str  # shown on hover


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass(frozen=True)
class Chart:
    title: str
    width: int
    height: int
    rects: list[Rect] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    grid: list[float] = field(default_factory=list)  # y of horizontal lines
    legend: list[tuple[str, str]] = field(default_factory=list)  # (kind, label)

    @property
    def empty(self) -> bool:
        return not self.rects


def nice_top(value: float, ticks: int = 4) -> tuple[float, float]:
    """An axis top at or above `value` and its step, both round numbers (1, 2 or 5 x 10^n)."""
    if value <= 0:
        return 1.0, 1.0
    raw = value / ticks
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(step, 1.0)
    return math.ceil(value / step) * step, step


def _count(value: float) -> str:
    return f"{value:g}"


def hourly(hours: list[dict[str, int]], title: str, width: int = 560,
           height: int = 180) -> Chart:
    """Calls per hour of arrival, stacked by outcome."""
    busy = [h["hour"] for h in hours if h["offered"]]
    first = min([OPEN_HOURS[0], *busy])
    last = max([OPEN_HOURS[1] - 1, *busy])
    shown = [h for h in hours if first <= h["hour"] <= last]
    top, step = nice_top(max((h["offered"] for h in shown), default=0))
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    slot = plot_w / len(shown)
    chart = Chart(title, width, height, legend=[(k, label) for k, label in OUTCOME_KINDS])
    ticks = int(top / step)
    for n in range(ticks + 1):
        y = TOP + plot_h - plot_h * n / ticks
        chart.grid.append(y)
        chart.texts.append(Text(LEFT - 4, y + 4, _count(step * n), "end"))
    for i, hour in enumerate(shown):
        x = LEFT + i * slot
        chart.texts.append(Text(x + slot / 2, height - 6, f"{hour['hour']:02d}"))
        base: float = TOP + plot_h
        for kind, label in OUTCOME_KINDS:
            count = hour.get(kind, 0)
            if not count:
                continue
            h = plot_h * count / top
            base -= h
            chart.rects.append(Rect(round(x + slot * 0.15, 1), round(base, 1),
                                    round(slot * 0.7, 1), round(h, 1), kind,
                                    f"{hour['hour']:02d}:00 {label.lower()}: {count}"))
    return chart


def durations(queues: list[dict[str, Any]], title: str, width: int = 560) -> Chart:
    """Per queue: average and 90th-percentile wait to answer, average handle time (seconds)."""
    series = (("wait_avg", "wait", "Average wait"), ("wait_p90", "p90", "90th percentile wait"),
              ("handle_avg", "handle", "Average handle time"))
    row, gap, label_w = 12, 10, 130
    height = TOP + BOTTOM + len(queues) * (row * len(series) + gap)
    top, step = nice_top(max((q[key] or 0 for q in queues for key, _, _ in series), default=0))
    plot_w = width - label_w - RIGHT
    chart = Chart(title, width, height, legend=[(kind, label) for _, kind, label in series])
    y = TOP
    for q in queues:
        chart.texts.append(Text(label_w - 6, y + row * 2 - 2, q.get("label") or q["queue"],
                                "end"))
        for key, kind, label in series:
            value = q[key]
            if value:
                chart.rects.append(Rect(label_w, y, round(plot_w * value / top, 1), row - 2,
                                        kind, f"{q.get('label') or q['queue']}: "
                                        f"{label.lower()} {value} s"))
            y += row
        y += gap
    for n in range(int(top / step) + 1):
        x = label_w + plot_w * n * step / top
        chart.texts.append(Text(x, height - 6, f"{_count(step * n)} s"))
    return chart


def for_figures(figures: dict[str, Any]) -> dict[str, Any]:
    """The charts of a day: calls per hour in total and per queue, and the durations."""
    return {
        "total": hourly(figures["total"]["hours"], "All queues: calls per hour"),
        "queues": {q["queue"]: hourly(q["hours"], f"{q.get('label') or q['queue']}: "
                                      "calls per hour", height=140)
                   for q in figures["queues"]},
        "durations": durations(figures["queues"], "Wait and handle time per queue"),
    }
