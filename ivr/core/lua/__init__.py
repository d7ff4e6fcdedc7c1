"""Lua scripts run inside Redis, so that a change of several keys is one atomic step."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

import redis


@cache
def library(name: str) -> str:
    """The text of `ivr/core/lua/<name>.lua`."""
    return (files(__package__) / f"{name}.lua").read_text(encoding="utf-8")


class Script:
    """A script made of libraries and a body; run with EVALSHA (EVAL when Redis lacks it).

    On a pipeline it is sent as EVAL: a pipeline cannot fall back on NOSCRIPT, and checking
    first would cost a round trip.
    """

    def __init__(self, body: str, lib: str | tuple[str, ...] = "routing") -> None:
        libs = (lib,) if isinstance(lib, str) else lib
        self.text = "\n".join([*(library(name) for name in libs), body])
        self._script: Any = None

    def __call__(self, r: redis.Redis, *args: object) -> Any:
        if self._script is None:
            self._script = r.register_script(self.text)
        return self._script(keys=[], args=list(args), client=r)

    def queue(self, pipe: redis.client.Pipeline, *args: object) -> None:
        pipe.eval(self.text, 0, *args)  # type: ignore[arg-type]
