"""The app the stand-in benchmark calls: the real app, its clock set to a Monday morning
(support open), so that callers follow the same path whatever the real time.
Served as `standin_app:app` from this folder; settings come from the environment."""

from __future__ import annotations

from ivr import create_app
from ivr.clock import Clock
from stack import OPEN_HOURS

app = create_app({"CLOCK": Clock(OPEN_HOURS)})
