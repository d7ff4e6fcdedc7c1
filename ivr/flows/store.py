"""Published flow versions in Redis, and a per-process cache of them (versions never change)."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path

import redis

from ivr.exceptions import IvrError
from ivr.flows.flow import Flow
from ivr.flows.loader import config_data, from_data, load_file

log = logging.getLogger(__name__)

CURRENT_KEY = "ivr:flow:current"
VERSION_KEY = "ivr:flow:version:{}"
HISTORY_KEY = "ivr:flow:history"


class NoFlow(IvrError):
    """No flow has been published."""


class UnknownVersion(LookupError):
    """A flow version that was never published."""


class FlowStore:
    """Publishes flows and hands out parsed versions, each parsed once per process."""

    def __init__(self, r: redis.Redis) -> None:
        self.redis = r
        self._cache: dict[str, Flow] = {}
        self.last_current: str | None = None  # a hint only; Redis says what is current

    def publish(self, flow: Flow, now: datetime, by: str = "cli") -> str:
        """Make `flow` the version new calls start on; calls in progress keep theirs."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(VERSION_KEY.format(flow.version), json.dumps(config_data(flow.config)))
        pipe.set(CURRENT_KEY, flow.version)
        pipe.lpush(HISTORY_KEY, json.dumps({"version": flow.version, "at": now.isoformat(),
                                            "by": by}))
        pipe.ltrim(HISTORY_KEY, 0, 199)
        pipe.execute()
        self._cache[flow.version] = flow
        log.info("published flow version %s", flow.version)
        return flow.version

    def current_version(self) -> str | None:
        version: str | None = self.redis.get(CURRENT_KEY)  # type: ignore[assignment]
        return version

    def get(self, version: str) -> Flow:
        """The flow of a published version (Redis is read only the first time)."""
        flow = self._cache.get(version)
        if flow is None:
            raw = self.redis.get(VERSION_KEY.format(version))
            if raw is None:
                raise UnknownVersion(version)
            flow = from_data(json.loads(raw), f"published version {version}")
            self._cache[version] = flow
        return flow

    def current(self) -> Flow:
        """The flow new calls start on."""
        version = self.current_version()
        if version is None:
            raise NoFlow("no flow is published: run `ivr flow publish config/flow.yaml`")
        return self.get(version)

    def cached(self, version: str | None) -> Flow | None:
        return self._cache.get(version) if version else None

    def ensure_published(self, path: Path, now: datetime) -> str:
        """Publish the shipped flow file when nothing is published yet, or when the current
        version came from that file and the file has changed since (a new release). A flow
        an admin published is never replaced this way."""
        current = self.current_version()
        seed = f"seed:{path.name}"
        if current:
            history = self.history(1)
            if not history or history[0].get("by") != seed:
                return current
        flow = load_file(path)
        if flow.version == current:
            return current
        return self.publish(flow, now, by=seed)

    def history(self, limit: int = 200) -> list[dict[str, str]]:
        """Published versions, newest first."""
        return [json.loads(item) for item in self.redis.lrange(HISTORY_KEY, 0, limit - 1)]
