"""The app under benchmark: the real app from `create_app`, plus one constant route
(bench/constant.py). Served as `app:app` from this folder; settings come from the environment
`bench/run.py` sets.
"""

from __future__ import annotations

from constant import with_constant_route
from ivr import create_app

app = with_constant_route(create_app())
