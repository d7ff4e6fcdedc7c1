"""Runs the call flow for Twilio's webhooks.

Two ways to keep a call's state between webhooks:
- **sealed** (the usual one): when the call waits at a node that only asks (language, menu,
  identify), its state rides in the action URL of that question (ivr/flows/token.py). A new
  call then costs no Redis round trip (the current flow version and the live switches are kept
  in the process for `cache_seconds`), and a step costs one only when it reads or writes
  something shared: the caller's client records, the guard, a queue. A repeated request is run
  again from the same state and answers the same; what it counts is keyed by call and step.
- **stored**: at other nodes (a queue, a voicemail, a callback...), the state is in Redis with
  the answer last given: a step reads it, then writes the new one by compare-and-set on its
  sequence, so two answers to one step leave one state, and a repeated request gets the stored
  answer again.
A sealed step that writes something, or whose call leaves the flow, also stores a copy of the
state (for the queue, the voicemail, the agents' screen), in the same round trip as its writes.

`step` is one pass either way: open the state (`_open_sealed` / `_open_stored`, with the step's
reads), run the nodes (`_run`), write (`_store_sealed` / `_commit`).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

import redis

from ivr.core.clock import Clock
from ivr.core.logsafe import clean
from ivr.core.phones import mask, parse_phone
from ivr.flows import twiml_text
from ivr.flows.call import TOKEN_MARK, TOKEN_PARAM, Call, CallState
from ivr.flows.fetch import Fetch, answered_id
from ivr.flows.flow import Flow
from ivr.flows.nodes.base import STAY, Node
from ivr.flows.store import CURRENT_KEY, FlowStore, NoFlow, UnknownVersion
from ivr.flows.switches import Live
from ivr.flows.token import Sealer

log = logging.getLogger(__name__)

CALL_KEY = "ivr:call:{}"
CALL_SID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
FINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
MAX_HOPS = 200  # nodes run in one step; graph checks make loops impossible, this is a guard

# KEYS: the call; ARGV: the seq read, the new state, its TTL. Writes the new state only when
# the stored one is still at the seq read; else returns the stored one (the winner's).
_COMPARE_AND_SET = """
local stored = redis.call('GET', KEYS[1])
if stored and cjson.decode(stored)['seq'] ~= tonumber(ARGV[1]) then
  return stored
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return false
"""

# The same, for a sealed step's copy: written unless the stored state is already at this seq
# or beyond (a repeated request, or a concurrent answer that won); then returns the stored one.
_STORE_IF_NEWER = """
local stored = redis.call('GET', KEYS[1])
if stored and cjson.decode(stored)['seq'] >= tonumber(ARGV[1]) then
  return stored
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return false
"""


EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response />'


class BadCall(ValueError):
    """A webhook without a usable CallSid."""


class FlowLoop(RuntimeError):
    """A step ran too many nodes without asking the caller anything."""


class Engine:
    """Turns a Twilio webhook into the next TwiML of the call."""

    def __init__(self, r: redis.Redis, store: FlowStore, clock: Clock, call_ttl: int,
                 on_ended: Callable[[str], None] | None = None, trial: bool = False,
                 sealer: Sealer | None = None, cache_seconds: float = 0.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.redis = r
        self.store = store
        self.clock = clock
        self.call_ttl = call_ttl
        self.on_ended = on_ended
        self.trial = trial
        self.sealer = sealer
        # the current flow version and the live switches, as last read, kept this long: a
        # publish or a switch reaches new calls within `cache_seconds` (0: read every time)
        self.cache_seconds = cache_seconds
        self.monotonic = monotonic
        self._current: tuple[float, str] | None = None
        self._live: tuple[float, Live] | None = None
        self._first: dict[str, str] = {}  # flow version -> every new call's first answer

    # -- webhooks ------------------------------------------------------------------------

    def incoming(self, params: Mapping[str, str]) -> str:
        """A new call: pin it to the current flow version and run from the start."""
        sid = _sid(params)
        caller = parse_phone(params.get("From", ""))
        if self.sealer is not None:
            answer = self._incoming_sealed(sid, params, caller)
            if answer is not None:
                return answer
        flow = self.store.cached(self.store.last_current)
        created = False  # stored by the fast path below, on a version no longer current
        if flow is not None and not flow.needs(None):
            # The usual case: the start of the flow reads nothing, so one round trip both
            # checks that this version is still current and stores the new call.
            call = self._begin(flow, sid, params, caller, Live(), {})
            if not call.writes:
                pipe = self.redis.pipeline(transaction=False)
                pipe.get(CURRENT_KEY)
                twiml = self._save(flow, call, pipe, only_new=True)
                current, created = pipe.execute()[:2]
                self._note_current(current)
                if current == flow.version and created:
                    _started(sid, caller, flow.version)
                    return twiml
        # A publish since the last call, a flow whose start reads Redis, or a repeated request.
        pipe = self.redis.pipeline(transaction=False)
        pipe.get(CURRENT_KEY)
        pipe.get(CALL_KEY.format(sid))
        version, existing = pipe.execute()
        if version is None:
            raise NoFlow("no flow is published: run `ivr flow publish config/flow.yaml`")
        if existing and not created:
            state = CallState.loads(existing)
            if state.seq == 1 and state.last:  # Twilio asked again for the same call
                return state.last
        flow = self.store.get(version)
        self._note_current(version)
        fetch = Fetch(flow.needs(None), caller, None, sid)
        pipe = self.redis.pipeline(transaction=False)
        fetch.queue(pipe)
        fetched = fetch.parse(pipe.execute())
        call = self._begin(flow, sid, params, caller, fetched.pop("live", Live()), fetched)
        pipe = self.redis.pipeline(transaction=False)
        twiml = self._save(flow, call, pipe)
        pipe.execute()
        _started(sid, caller, flow.version)
        return twiml

    def _incoming_sealed(self, sid: str, params: Mapping[str, str],
                         caller: str | None) -> str | None:
        """A new call whose first question can carry its state: no write, and no read at all
        when the current version is known here and the start reads nothing shared. None when
        the stored way must be taken (nothing has been written then)."""
        version = self._fresh_current()
        if version in self._first:
            _started(sid, caller, version)
            return self._first[version]
        flow = self.store.cached(version) if version else None
        if flow is None:
            return None
        live, fetched = self._fetch(flow.needs(None), caller, None, sid)
        call = self._begin(flow, sid, params, caller, live, fetched, sealing=True)
        if call.writes or not self._sealable(flow, call):
            return None
        twiml = self._render(flow, call)
        if not call.sealed:
            return None
        if flow.steady_start and not flow.needs(None):
            # the same for every new call (its sealed state too: no caller, no time in it)
            if len(self._first) >= 8:
                self._first.clear()
            self._first[flow.version] = twiml
        _started(sid, caller, flow.version)
        return twiml

    def _begin(self, flow: Flow, sid: str, params: Mapping[str, str], caller: str | None,
               live: Live, fetched: dict[str, Any], sealing: bool = True) -> Call:
        now = self.clock.now()
        state = CallState(
            version=flow.version, lang=flow.config.default_language, caller=caller,
            called=parse_phone(params.get("To", "")), started=now.isoformat(),
        )
        call = Call(flow, sid, state, params, now, live, fetched, self.trial, self.redis,
                    sealing=sealing and self.sealer is not None)
        self._run(flow, call, flow.start)
        return call

    def step(self, args: Mapping[str, str], params: Mapping[str, str]) -> str:
        """The caller's answer to a node's question (or Twilio's report after a verb), in one
        pass: the call's state read once (opened from the action URL's seal, else from Redis
        with the step's reads), the nodes run once, the new state written once."""
        sid = _sid(params)
        token = args.get("t")
        opened = (self._open_sealed(sid, token, args, params) if token is not None
                  else self._open_stored(sid, args, params))
        if isinstance(opened, str):  # answered already: a repeated request, an ended call
            return opened
        flow, call, asked, read_seq = opened
        if asked is not None:
            following = asked.receive(call)
            if following == STAY:
                return EMPTY
            call.state.node = None
            self._run(flow, call, following)
        else:  # an old or unexpected request: ask the current question again
            self._run(flow, call, call.state.node)
        if call.by_token:
            return self._store_sealed(flow, call)
        return self._commit(flow, call, read_seq)

    def _open_stored(self, sid: str, args: Mapping[str, str], params: Mapping[str, str]
                     ) -> tuple[Flow, Call, Node | None, int] | str:
        """The state kept in Redis and the step's reads, in one round trip; or the answer when
        there is nothing to run (the same request again, a call that left the flow)."""
        node_name, seq = args.get("n", ""), _int(args.get("s"))
        flow = self._flow(args.get("v"))
        asked = flow.nodes.get(node_name) if flow is not None else None
        needs = flow.needs(node_name) if flow is not None and asked and asked.waits else frozenset()
        fetch = Fetch(needs, parse_phone(params.get("From", "")), answered_id(params), sid)
        pipe = self.redis.pipeline(transaction=False)
        pipe.get(CALL_KEY.format(sid))
        fetch.queue(pipe)
        raw, *rest = pipe.execute()
        if raw is None:
            log.info("call %s is unknown (expired?): starting it over", sid)
            return self.incoming(params)
        state = CallState.loads(raw)
        if seq == state.seq - 1 and state.last:
            return state.last  # the same request again: the same answer, counted once
        if flow is None or flow.version != state.version:
            flow = self.store.get(state.version)
            asked = flow.nodes.get(node_name)
        fetched = fetch.parse(rest)
        call = Call(flow, sid, state, params, self.clock.now(), fetched.pop("live", Live()),
                    fetched, self.trial, self.redis, sealing=self.sealer is not None)
        if seq == state.seq and node_name == state.node and asked is not None:
            call.node_name = node_name
            return flow, call, asked, state.seq
        if state.node:
            return flow, call, None, state.seq
        return state.last or self._hangup()

    def _open_sealed(self, sid: str, token: str, args: Mapping[str, str],
                     params: Mapping[str, str]) -> tuple[Flow, Call, Node, int]:
        """The state sealed in the action URL of the question answered, and the step's reads
        (none, or one round trip)."""
        if self.sealer is None:
            raise BadCall("a sealed call state, but no key to open it")
        state = self.sealer.open(token, args.get("v", ""), args.get("n", ""), args.get("s", ""))
        state.caller = parse_phone(params.get("From", ""))
        state.called = parse_phone(params.get("To", ""))
        flow = self.store.cached(state.version) or self.store.get(state.version)
        node_name = state.node or ""
        asked = flow.nodes.get(node_name)
        if asked is None or not asked.waits:
            raise BadCall(f"no question {node_name!r} in flow {state.version}")
        call = Call(flow, sid, state, params, self.clock.now(), Live(), {}, self.trial,
                    self.redis, sealing=True)
        call.by_token = True
        call.node_name = node_name
        call.live, call.fetched = self._fetch(flow.needs(node_name), state.caller,
                                              answered_id(params), sid, asked.read_ahead(call))
        return flow, call, asked, state.seq

    def _store_sealed(self, flow: Flow, call: Call) -> str:
        """A sealed step's answer; written to Redis (one round trip) only when the step
        writes, the call leaves the flow, or its state cannot ride in the URL."""
        twiml = self._render(flow, call)
        if call.sealed and not call.writes and call.state.outcome is None:
            return twiml
        # a copy of the state for whoever reads it (queue, voicemail, agents)
        call.state.last = twiml
        pipe = self.redis.pipeline(transaction=False)
        pipe.eval(_STORE_IF_NEWER, 1, CALL_KEY.format(call.sid), call.state.seq,
                  call.state.dumps(), self.call_ttl)
        for write in call.writes:
            write(pipe)
        stored = pipe.execute()[0]
        if stored is not None:  # this step was answered already (a repeated request)
            return CallState.loads(stored).last or twiml
        return twiml

    def _fetch(self, needs: frozenset[str], caller: str | None, digits: str | None,
               sid: str, ahead: Callable[[Any], None] | None = None,
               ) -> tuple[Live, dict[str, Any]]:
        """What the step reads from Redis, in one round trip (none when nothing is needed, or
        only the live switches and they are fresh here); `ahead`, the waiting node's own
        read, goes last on the same round trip."""
        cached = self._live if "live" in needs else None
        if cached is not None and cached[0] > self.monotonic():
            needs = needs - {"live"}
        fetch = Fetch(needs, caller, digits, sid)
        pipe = self.redis.pipeline(transaction=False)
        fetch.queue(pipe)
        if ahead is not None:
            ahead(pipe)
        results = pipe.execute() if len(pipe) else []
        fetched = fetch.parse(results[:-1] if ahead is not None else results)
        if ahead is not None:
            fetched["ahead"] = results[-1]
        live = fetched.pop("live", None)
        if live is not None:
            if self.cache_seconds > 0:
                self._live = (self.monotonic() + self.cache_seconds, live)
            return live, fetched
        return (cached[1] if cached is not None else Live()), fetched

    def _fresh_current(self) -> str | None:
        """The current flow version when known here and fresh, else read from Redis."""
        if self._current is not None and self._current[0] > self.monotonic():
            return self._current[1]
        version: str | None = self.redis.get(CURRENT_KEY)  # type: ignore[assignment]
        self._note_current(version)
        return version

    def _note_current(self, version: str | None) -> None:
        if version:
            self.store.last_current = version
            if self.cache_seconds > 0:
                self._current = (self.monotonic() + self.cache_seconds, version)

    def _sealable(self, flow: Flow, call: Call) -> bool:
        node = flow.nodes.get(call.state.node or "")
        return node is not None and node.seals(call)

    def _render(self, flow: Flow, call: Call) -> str:
        """The step's TwiML, its questions' action URLs carrying the sealed state when the
        call waits at a node that allows it; sets `call.sealed`."""
        call.state.seq += 1
        twiml = str(call.response.to_xml())
        if TOKEN_MARK not in twiml:
            return twiml
        token = None
        if self.sealer is not None and self._sealable(flow, call):
            token = self.sealer.seal(call.state)
        if token is None:
            return twiml.replace(TOKEN_PARAM, "")
        call.sealed = True
        return twiml.replace(TOKEN_MARK, token)

    def status(self, params: Mapping[str, str]) -> None:
        """Twilio's status callback: a finished call's state is kept an hour more, then goes."""
        sid = _sid(params)
        status = params.get("CallStatus", "")
        log.info("call %s status %s (%ss)", sid, clean(status),
                 clean(params.get("CallDuration", "?")))
        if status in FINAL_STATUSES:
            self.redis.expire(CALL_KEY.format(sid), 3600)
            if self.on_ended:
                self.on_ended(sid)

    def call_state(self, sid: str) -> CallState | None:
        raw = self.redis.get(CALL_KEY.format(sid))
        return CallState.loads(raw) if raw else None

    # -- internals -----------------------------------------------------------------------

    def _run(self, flow: Flow, call: Call, name: str | None) -> None:
        """Enter nodes from `name` until one asks the caller something or the call leaves."""
        hops = 0
        while name is not None:
            hops += 1
            if hops > MAX_HOPS:
                raise FlowLoop(f"more than {MAX_HOPS} nodes in one step, at {name!r}")
            node = flow.nodes[name]
            call.node_name = name
            following = node.enter(call)
            if following is None:
                call.state.node = name if node.waits else None
            name = following

    def _save(self, flow: Flow, call: Call, pipe: redis.client.Pipeline,
              only_new: bool = False) -> str:
        """Queue the call's new state and its writes on `pipe`; the TwiML to answer."""
        twiml = self._render(flow, call)
        call.state.last = twiml
        pipe.set(CALL_KEY.format(call.sid), call.state.dumps(), ex=self.call_ttl, nx=only_new)
        for write in call.writes:
            write(pipe)
        return twiml

    def _commit(self, flow: Flow, call: Call, read_seq: int) -> str:
        """Store the call's new state unless another request changed it since it was read;
        the TwiML to answer: this step's, or the winner's when a concurrent answer won."""
        twiml = self._render(flow, call)
        call.state.last = twiml
        winner = self.redis.eval(_COMPARE_AND_SET, 1, CALL_KEY.format(call.sid), read_seq,
                                 call.state.dumps(), self.call_ttl)
        if winner is not None:
            log.info("call %s: a concurrent answer to step %d won", call.sid, read_seq)
            for undo in call.undo:
                undo(self.redis)
            return CallState.loads(winner).last or twiml
        if call.writes:
            pipe = self.redis.pipeline(transaction=False)
            for write in call.writes:
                write(pipe)
            pipe.execute()
        return twiml

    @staticmethod
    def _hangup() -> str:
        response = twiml_text.Response()
        response.hangup()
        return str(response.to_xml())

    def _flow(self, version: str | None) -> Flow | None:
        if not version:
            return None
        try:
            return self.store.cached(version) or self.store.get(version)
        except UnknownVersion:
            return None


def _started(sid: str, caller: str | None, version: str) -> None:
    # a line per new call is debug detail (Twilio logs every call); masking costs more than
    # the check, so it is done only when the line is written
    if log.isEnabledFor(logging.DEBUG):
        log.debug("call %s from %s starts on flow %s", sid, mask(caller), version)


def _sid(params: Mapping[str, str]) -> str:
    sid = params.get("CallSid", "")
    if not CALL_SID.match(sid):
        raise BadCall(f"missing or malformed CallSid: {sid[:70]!r}")
    return sid


def _int(text: str | None) -> int:
    return int(text) if text and text.isdigit() and len(text) < 9 else -1
