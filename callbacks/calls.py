"""The webhooks of callbacks: the flow's request for one, and the call that rings the client.

REQUEST_PATH makes the request the callback node prepared (the number is in the call's
state), then sends the call back to the node to say when to expect the call. When a callback
is placed (callbacks/placing.py), its ANSWER_PATH tells the client who is calling and asks them
to press 1 (KEY_PATH), so that an answering machine never takes an agent; then they are
put through to the agent held for them exactly as a caller would be. Its STATUS_PATH hears how
the client's call ended.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from callbacks import store
from callbacks.placing import attempt_failed, watch_times
from callbacks.policy import Policy
from callbacks.scheduling import ask, build_request, route
from callbacks.store import dialling
from ivr import queue
from ivr.callers import directory
from ivr.callers.directory import client_summary
from ivr.core.exceptions import IvrError
from ivr.core.phones import mask
from ivr.flows import twiml_text
from ivr.flows.call import STEP_PATH, Call, CallState
from ivr.flows.flow import Flow
from ivr.flows.nodes.callback import NUMBER_VAR, REQUEST_STAGE, Callback
from ivr.flows.store import UnknownVersion
from ivr.flows.switches import Live
from ivr.services.parts import Parts

log = logging.getLogger(__name__)

KEY_PATH = "/voice/callback/key"
FINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
KEY_TRIES = 2
CONNECT_KEY = "1"


def _twiml(response: twiml_text.Response) -> str:
    return response.to_xml()


class CallbackCalls:
    """Answers the callbacks' webhooks, with the service's parts (Redis, clock, jobs)."""

    def __init__(self, service: Parts) -> None:
        self.service = service
        self.redis = service.redis

    # -- the flow asks for a callback ------------------------------------------------------

    def request(self, args: Mapping[str, str], params: Mapping[str, str]) -> str:
        """Make the request the callback node prepared; back to that node, which says when."""
        sid = params.get("CallSid", "")
        node_name, seq = args.get("n", ""), args.get("s", "")
        back = twiml_text.Response()
        query = {"v": args.get("v", ""), "n": node_name, "s": seq}
        state = self.service.engine.call_state(sid)
        flow = self._flow(state.version if state else None)
        node = flow.nodes.get(node_name) if flow else None
        number = state.vars.get(NUMBER_VAR) if state else None
        if (state is None or flow is None or not isinstance(node, Callback)
                or state.node != node_name or state.stage != REQUEST_STAGE
                or str(state.seq) != seq or not number):
            log.info("call %s: callback request out of turn; the flow asks again", sid)
            back.redirect(f"{STEP_PATH}?{urlencode(query)}", method="POST")
            return _twiml(back)
        entry = queue.entry(self.redis, sid)
        client = state.client or self._client_by_caller(state.caller)
        try:
            request = build_request(
                flow, number, self.service.clock.now(), source=self._source(entry),
                client=client, contract=state.vars.get("contract_state") if state.client
                else None, queue_name=node.queue or (entry.get("queue") if entry else None),
                lang=state.lang, from_entry=sid if entry else "", trial=self.service.trial)
            outcome = ask(self.service, request, flow=flow)
        except IvrError as exc:
            log.error("call %s: callback not requested: %s", sid, exc)
            outcome = store.Outcome("refused", refused="invalid")
        store.remember_outcome(self.redis, sid, outcome)
        log.info("call %s: callback %s for %s (%s)", sid, outcome.id or "-", mask(number),
                 outcome.status)
        back.redirect(f"{STEP_PATH}?{urlencode({**query, 'cb': outcome.id})}", method="POST")
        return _twiml(back)

    def _client_by_caller(self, caller: str | None) -> dict[str, Any] | None:
        """The one client whose number is calling, when nobody identified the caller."""
        found = directory.clients_by_phone(self.redis, caller) if caller else []
        return client_summary(found[0]) if len(found) == 1 else None

    @staticmethod
    def _source(entry: queue.Entry | None) -> str:
        """Where the caller asked: while waiting (held), after leaving a queue, or closed."""
        if entry is None:
            return "closed"
        return "queue" if entry.state == "held" else "overflow"

    # -- the client's phone rings ----------------------------------------------------------

    def answer(self, args: Mapping[str, str], params: Mapping[str, str]) -> str:
        """The client picked up: who is calling, press 1 to be put through."""
        found, res = self._dialling(args)
        if found is None:
            return self._end(None, None)
        dialling.dialled(self.redis, found.id, res, params.get("CallSid", ""))
        return self._ask_key(found, res, 1)

    def key(self, args: Mapping[str, str], params: Mapping[str, str]) -> str:
        """The client's key: 1 puts them through to their agent; else asked once more."""
        found, res = self._dialling(args, also_connected=True)
        if found is None:
            return self._end(None, None)
        if params.get("Digits") != CONNECT_KEY:
            tries = int(args.get("t", "1")) if args.get("t", "1").isdigit() else KEY_TRIES
            if tries < KEY_TRIES:
                return self._ask_key(found, res, tries + 1)
            return self._end(found, "no_key_prompt")
        now = self.service.clock.now()
        watch, _ = watch_times(self._policy(), now)
        if not dialling.pressed(self.redis, found.id, res, now, watch):
            return self._end(found, "sorry_prompt")
        entry = queue.entry(self.redis, found.entry)
        twiml = self.service.queues.put_through(entry, res) if entry is not None else None
        if twiml is not None:
            log.info("callback %s: the client pressed 1; putting them through", found.id)
            return twiml
        log.info("callback %s: its agent is no longer held; it waits again", found.id)
        self._settle(found.id)
        return self._end(found, "sorry_prompt")

    def status(self, args: Mapping[str, str], params: Mapping[str, str]) -> None:
        """The client's call ended: a failed attempt (busy, no answer, no key), or the end of
        a call put through (their entry ends as a caller's would)."""
        if params.get("CallStatus", "") not in FINAL_STATUSES:
            return
        cb_id, res = args.get("cb", ""), args.get("r", "")
        found = store.get(self.redis, cb_id)
        if found is None or found.get("res") != res:
            return
        if found.state == "dialling":
            status = params.get("CallStatus", "")
            attempt_failed(self.service, cb_id, res,
                           "no key pressed" if status == "completed" else status)
        elif found.state == "connected":
            flow = self.service.flows.current()
            now = self.service.clock.now()
            _, held = queue.ended(self.redis, found.entry, now, "abandoned",
                                  flow.queue_rules.get(found.get("queue")),
                                  flow.queue_rules.values())
            self.service.dispatch(held)
            self.service.write_records()
            self._settle(cb_id)

    def dialed(self, entry: queue.Entry, result: str) -> str:
        """How the <Dial> from a callback's client to its agent ended (QueueCalls.dialed)."""
        cb_id = entry.get("callback")
        self._settle(cb_id)
        if result == "requeued":  # the agent did not answer: the callback waits again
            return self._end(store.get(self.redis, cb_id), "sorry_prompt")
        return self._end(None, None)

    # -- helpers ---------------------------------------------------------------------------

    def _settle(self, cb_id: str) -> None:
        now = self.service.clock.now()
        if dialling.settle(self.redis, cb_id, now) == "due":
            route(self.service, now)

    def _dialling(self, args: Mapping[str, str],
                  also_connected: bool = False) -> tuple[store.Callback | None, str]:
        """The callback of this call, if it is still at the attempt the URL names."""
        res = args.get("r", "")
        found = store.get(self.redis, args.get("cb", ""))
        states = ("dialling", "connected") if also_connected else ("dialling",)
        if found is None or found.state not in states or found.get("res") != res:
            return None, res
        return found, res

    def _ask_key(self, found: store.Callback, res: str, tries: int) -> str:
        call = self._call(found)
        config = call.flow.config.callbacks
        if config is None:
            return self._end(None, None)
        call.state.vars["company"] = found.get("company")
        query = urlencode({"cb": found.id, "r": res, "t": str(tries)})
        gather = call.response.gather(input="dtmf", num_digits=1, method="POST",
                                      timeout=config.answer_timeout, action=f"{KEY_PATH}?{query}")
        call.say(config.answer_prompt, into=gather)
        if tries < KEY_TRIES:  # no key: once more, then goodbye
            call.response.redirect(f"{KEY_PATH}?{query}", method="POST")
            return _twiml(call.response)
        if config.no_key_prompt:
            call.say(config.no_key_prompt)
        call.response.hangup()
        return _twiml(call.response)

    def _end(self, found: store.Callback | None, prompt_field: str | None) -> str:
        """Say a prompt of the flow's callbacks section (if any), then hang up."""
        if found is not None and prompt_field:
            call = self._call(found)
            prompt = getattr(call.flow.config.callbacks, prompt_field, None)
            if prompt:
                call.say(prompt)
            call.response.hangup()
            return _twiml(call.response)
        response = twiml_text.Response()
        response.hangup()
        return _twiml(response)

    def _call(self, found: store.Callback) -> Call:
        flow = self.service.flows.current()
        lang = found.get("lang")
        if lang not in flow.config.languages:
            lang = flow.config.default_language
        state = CallState(version=flow.version, lang=lang)
        return Call(flow, found.entry, state, {}, self.service.clock.now(), Live(), {})

    def _policy(self) -> Policy:
        return self.service.flows.current().config.callbacks or Policy()

    def _flow(self, version: str | None) -> Flow | None:
        if not version:
            return None
        try:
            return self.service.flows.cached(version) or self.service.flows.get(version)
        except UnknownVersion:
            return None
