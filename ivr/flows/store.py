"""Flow versions in Redis: numbered revisions (every save, immutable, with author, time and
message), which one is published, and a per-process cache of parsed versions.

Two names for a version: the revision number admins see (1, 2, 3...), and the content hash
calls are pinned to (`Flow.version`); saving the same content twice makes two revisions of
one hash. The engine only knows hashes: `current()`, `get(hash)`, `cached(hash)`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import redis
import yaml

from ivr.core.exceptions import Conflict, IvrError
from ivr.flows.flow import Flow
from ivr.flows.loader import config_data, from_data, load_file, parse

log = logging.getLogger(__name__)

CURRENT_KEY = "ivr:flow:current"
VERSION_KEY = "ivr:flow:version:{}"
HISTORY_KEY = "ivr:flow:history"
REVISION_KEY = "ivr:flow:rev:{}"  # JSON of one Revision, never changed once written
HEAD_KEY = "ivr:flow:head"  # number of the latest revision
PUBLISHED_KEY = "ivr:flow:published"  # number of the published revision

# more writes for the same transaction, given the revision saved or published
Extra = Callable[[redis.client.Pipeline, "Revision"], None]


@dataclass(frozen=True)
class Revision:
    """One saved flow: its number, content hash, who saved it, when, why, and the YAML."""

    number: int
    version: str
    author: str
    at: str
    message: str
    source: str
    base: int | None = None  # the latest revision when its author started editing

    def summary(self) -> dict[str, Any]:
        """Everything but the YAML."""
        return {k: v for k, v in asdict(self).items() if k != "source"}


class NoFlow(IvrError):
    """No flow has been published."""


class UnknownVersion(LookupError):
    """A flow version that was never published."""


class UnknownRevision(IvrError):
    """A revision number that was never saved."""


class FlowStore:
    """Publishes flows and hands out parsed versions, each parsed once per process."""

    def __init__(self, r: redis.Redis) -> None:
        self.redis = r
        self._cache: dict[str, Flow] = {}
        self.last_current: str | None = None  # a hint only; Redis says what is current

    def publish(self, flow: Flow, now: datetime, by: str = "cli", source: str | None = None,
                message: str = "") -> str:
        """Save `flow` as a new revision and make it the version new calls start on (calls in
        progress keep theirs); returns its content hash."""
        revision = self.save(flow, source if source is not None else dump(flow), by,
                             message or "published", now, publish=True)
        return revision.version

    # -- revisions ---------------------------------------------------------------------------

    def save(self, flow: Flow, source: str, author: str, message: str, now: datetime,
             base: int | None = None, publish: bool = False, extra: Extra | None = None
             ) -> Revision:
        """Store `flow` (and its YAML) as the next revision, published too when asked, in one
        transaction with `extra`. With `base`, refused (Conflict) when someone saved since."""
        def write(pipe: redis.client.Pipeline) -> Revision:
            head = int(pipe.get(HEAD_KEY) or 0)
            if base is not None and head != base:
                raise Conflict(self._conflict(base, head))
            revision = Revision(head + 1, flow.version, author, now.isoformat(), message,
                                source, base if base is not None else head or None)
            pipe.multi()
            pipe.set(VERSION_KEY.format(flow.version), json.dumps(config_data(flow.config)))
            pipe.set(REVISION_KEY.format(revision.number),
                     json.dumps(asdict(revision), ensure_ascii=False))
            pipe.set(HEAD_KEY, revision.number)
            if publish:
                self._queue_publish(pipe, revision, now, author)
            if extra:
                extra(pipe, revision)
            return revision

        revision: Revision = self.redis.transaction(  # type: ignore[assignment]
            write, HEAD_KEY, value_from_callable=True)  # type: ignore[arg-type]
        self._cache[flow.version] = flow
        log.info("saved flow revision %s (%s)%s", revision.number, flow.version,
                 ", published" if publish else "")
        return revision

    def _conflict(self, base: int, head: int) -> str:
        latest = self.revision(head) if head else None
        who = f" by {latest.author} at {latest.at[:16].replace('T', ' ')}" if latest else ""
        return (f"version {head} was saved{who} since you started from version {base}: "
                f"nothing was overwritten; open version {head}, make your change again and save")

    def publish_revision(self, number: int, by: str, now: datetime, extra: Extra | None = None,
                         expect: int | None = None) -> Revision:
        """Make a saved revision the published one. With `expect`, refused (Conflict) when the
        published revision is no longer that one."""
        revision = self.revision(number)
        self.get(revision.version)  # parsed before it goes live: a bad version fails here

        def write(pipe: redis.client.Pipeline) -> None:
            published = int(pipe.get(PUBLISHED_KEY) or 0)
            if expect is not None and published != expect:
                raise Conflict(f"version {published} was published meanwhile (you expected "
                               f"{expect}): nothing changed")
            pipe.multi()
            self._queue_publish(pipe, revision, now, by)
            if extra:
                extra(pipe, revision)

        self.redis.transaction(write, PUBLISHED_KEY)
        log.info("published flow revision %s (%s)", number, revision.version)
        return revision

    @staticmethod
    def _queue_publish(pipe: redis.client.Pipeline, revision: Revision, now: datetime,
                       by: str) -> None:
        pipe.set(CURRENT_KEY, revision.version)
        pipe.set(PUBLISHED_KEY, revision.number)
        pipe.lpush(HISTORY_KEY, json.dumps({"version": revision.version, "number": revision.number,
                                            "at": now.isoformat(), "by": by}))
        pipe.ltrim(HISTORY_KEY, 0, 199)

    def head(self) -> int:
        """The latest revision's number (0: none)."""
        return int(self.redis.get(HEAD_KEY) or 0)

    def published_number(self) -> int | None:
        number = self.redis.get(PUBLISHED_KEY)
        return int(number) if number else None

    def revision(self, number: int) -> Revision:
        raw = self.redis.get(REVISION_KEY.format(number)) if number > 0 else None
        if raw is None:
            raise UnknownRevision(f"no flow version {number} (latest: {self.head()})")
        return Revision(**json.loads(raw))

    def revisions(self, limit: int = 50, before: int | None = None) -> list[Revision]:
        """Revisions newest first (from `before` - 1 when given)."""
        top = (before - 1) if before else self.head()
        numbers = list(range(top, max(0, top - limit), -1))
        raws = self.redis.mget([REVISION_KEY.format(n) for n in numbers]) if numbers else []
        return [Revision(**json.loads(raw)) for raw in raws if raw]

    def revision_flow(self, number: int) -> Flow:
        """The flow of a saved revision (parsed once per process)."""
        return self.get(self.revision(number).version)

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
        if current and not self.head():
            self._adopt(current, now)
        if current:
            history = self.history(1)
            if not history or history[0].get("by") != seed:
                return current
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            text = None
        flow = load_file(path) if text is None else parse(text, str(path))
        if flow.version == current:
            return current
        revision = self.save(flow, text or dump(flow), seed, f"shipped {path.name}", now,
                             publish=True)
        return revision.version

    def _adopt(self, current: str, now: datetime) -> None:
        """A flow published before revisions existed becomes revision 1."""
        flow = self.get(current)
        self.save(flow, dump(flow), "system", "published before versions were numbered", now,
                  base=0, publish=True)

    def history(self, limit: int = 200) -> list[dict[str, str]]:
        """Published versions, newest first."""
        return [json.loads(item) for item in self.redis.lrange(HISTORY_KEY, 0, limit - 1)]


def dump(flow: Flow) -> str:
    """The YAML of a flow that came without its own text."""
    return yaml.safe_dump(config_data(flow.config), allow_unicode=True, sort_keys=False,
                          width=100)


class TrialStore(FlowStore):
    """Serves one flow to every call, in place of the published one: for trying a draft in
    a call simulated in this process (the engine asks the store for every version it runs)."""

    def __init__(self, r: redis.Redis, flow: Flow) -> None:
        super().__init__(r)
        self.flow = flow
        self._cache[flow.version] = flow
        self.last_current = flow.version

    def current_version(self) -> str | None:
        return self.flow.version

    def get(self, version: str) -> Flow:
        return self.flow

    def cached(self, version: str | None) -> Flow | None:
        return self.flow
