"""The webhooks of a call in a queue: what a waiting caller hears, and putting them through.

Routing (ivr/queue.py) holds an agent for a caller; a job takes the call out of Twilio's
queue to CONNECT_PATH, which dials the agent; the agent hears a whisper (WHISPER_PATH) when
they pick up, then the two are bridged; DIALED_PATH hears how the <Dial> ended.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import urlencode

import redis

from ivr import queue
from ivr.centre import agents
from ivr.core.clock import Clock
from ivr.core.logsafe import clean
from ivr.core.phones import mask
from ivr.flows import twiml_text
from ivr.flows.apology import DEFAULT_MUSIC
from ivr.flows.call import Call, CallState
from ivr.flows.flow import Flow
from ivr.flows.nodes.connect import WAIT_PATH
from ivr.flows.speech import speak_contract, speak_ordinal, speak_wait
from ivr.flows.store import FlowStore, UnknownVersion
from ivr.flows.switches import Live
from ivr.queue import Reservation

log = logging.getLogger(__name__)

CONNECT_PATH = "/voice/connect"
WHISPER_PATH = "/voice/whisper"
DIALED_PATH = "/voice/dialed"
Dispatch = Callable[[Iterable[Reservation]], None]


def _twiml(response: twiml_text.Response) -> str:
    return response.to_xml()


class QueueCalls:
    """Answers the queue's webhooks; `dispatch` sends new reservations to the connect job."""

    def __init__(self, r: redis.Redis, store: FlowStore, clock: Clock, dispatch: Dispatch,
                 on_finished: Callable[[], None],
                 callback_dialed: Callable[[queue.Entry, str], str] | None = None) -> None:
        self.redis = r
        self.store = store
        self.clock = clock
        self.dispatch = dispatch
        self.on_finished = on_finished
        # how a callback's <Dial> to its agent ended: the TwiML for the client's call
        self.callback_dialed = callback_dialed

    # -- while waiting -------------------------------------------------------------------

    def wait(self, args: Mapping[str, str], params: Mapping[str, str]) -> str:
        """Twilio's waitUrl, asked again each time the last answer has been played."""
        flow = self._flow(args.get("v"))
        name = args.get("q", "")
        lang = args.get("l", "")
        if lang not in flow.config.languages:
            lang = flow.config.default_language
        config = flow.config.queues.get(name)
        call = self._call(flow, params.get("CallSid", ""), lang)
        if config is None:
            call.response.play(DEFAULT_MUSIC)
            return _twiml(call.response)
        if (config.callback_prompt and params.get("Digits") == config.callback_key
                and queue.hold(self.redis, call.sid, self.clock.now()) == "held"):
            log.info("call %s leaves queue %s to ask for a callback", call.sid, name)
            call.response.leave()  # Twilio then posts QueueResult=leave to the Enqueue node
            return _twiml(call.response)
        now = self.clock.now()
        status = queue.wait(self.redis, flow.rules(name), call.sid, now,
                            flow.queue_rules.values())
        self.dispatch(status.reservations)
        if status.state == "overflow":
            log.info("call %s leaves queue %s: %s", call.sid, name, status.reason)
            call.response.leave()
            return _twiml(call.response)
        # with callbacks offered, every key pressed while waiting comes back here
        target: twiml_text.Response | twiml_text.Gather = call.response.gather(
            input="dtmf", num_digits=1, timeout=1, method="POST",
            action=f"{WAIT_PATH}?{urlencode({'v': flow.version, 'q': name, 'l': lang})}",
        ) if config.callback_prompt else call.response
        if status.state == "waiting" and status.remind and status.position:
            call.state.vars.update(queue=config.label,
                                   position=speak_ordinal(status.position, lang))
            call.say(config.wait_prompt, into=target)
            if status.estimate is not None and config.estimate_prompt:
                low, high = status.spread or (None, None)
                call.state.vars["wait"] = speak_wait(status.estimate, lang, low, high)
                call.say(config.estimate_prompt, into=target)
            if config.callback_prompt:
                call.say(config.callback_prompt, into=target)
        target.play(str(config.hold_music))
        return _twiml(call.response)

    # -- putting the caller through ------------------------------------------------------

    def connect(self, args: Mapping[str, str], params: Mapping[str, str]) -> str:
        """The call, taken out of Twilio's queue by routing: dial the agent held for it."""
        entry_id, res = args.get("e", ""), args.get("r", "")
        entry = queue.entry(self.redis, entry_id)
        if entry is None or entry.id != params.get("CallSid"):
            log.warning("connect for an unknown call %s", clean(entry_id, 40))
            return self._hangup()
        return self.put_through(entry, res) or self._back_in_queue(entry_id)

    def put_through(self, entry: queue.Entry, res: str) -> str | None:
        """TwiML that dials the agent held for `entry` by reservation `res`, with the whisper;
        None when the reservation no longer stands. Callbacks come here too, once their client
        has answered."""
        entry_id = entry.id
        flow = self._flow(entry.get("version"))
        rules = flow.rules(entry.get("queue"))
        agent_id = queue.connect(self.redis, entry_id, res, self.clock.now(), rules.agent_timeout)
        presence = agents.get(self.redis, agent_id) if agent_id else None
        if presence is None:
            return None
        call = self._call(flow, entry_id, entry.get("lang") or flow.config.default_language)
        config = flow.config.queues[entry.get("queue")]
        if config.connect_prompt:
            call.say(config.connect_prompt)
        query = {"e": entry_id, "r": res}
        dial = call.response.dial(action=f"{DIALED_PATH}?{urlencode(query)}", method="POST",
                                  timeout=rules.agent_timeout)
        whisper = f"{WHISPER_PATH}?{urlencode({'agent': presence.id, **query})}"
        add_agent(dial, presence.agent, whisper)
        log.info("call %s to agent %s", entry_id, presence.id)
        return _twiml(call.response)

    def whisper(self, args: Mapping[str, str], params: Mapping[str, str]) -> str:
        """The agent picked up: they hear who is calling, then the caller is bridged."""
        entry_id, res, agent_id = args.get("e", ""), args.get("r", ""), args.get("agent", "")
        presence = agents.get(self.redis, agent_id)
        entry = queue.entry(self.redis, entry_id)
        lang = presence.agent.lang if presence else "fr"
        response = twiml_text.Response()
        if entry is None or not queue.answered(self.redis, entry_id, res, self.clock.now()):
            response.say("Cet appel a déjà été pris en charge." if lang == "fr"
                         else "This call has already been taken.", language=_code(lang))
            response.hangup()
            return _twiml(response)
        flow = self._flow(entry.get("version"))
        config = flow.config.queues[entry.get("queue")]
        call = self._call(flow, entry_id, lang if lang in flow.config.languages
                          else flow.config.default_language)
        call.state.vars.update(
            company=entry.get("company") or mask(entry.get("caller")) or "",
            contract=speak_contract(entry.get("contract"), call.lang),
            queue=config.label, client_id=entry.get("client_id"),
        )
        if config.whisper_prompt:
            call.say(config.whisper_prompt)
        return _twiml(call.response)

    def dialed(self, args: Mapping[str, str], params: Mapping[str, str]) -> str:
        """How the <Dial> to the agent ended: done, or back in the queue at the same place."""
        entry_id, res = args.get("e", ""), args.get("r", "")
        entry = queue.entry(self.redis, entry_id)
        if entry is None:
            return self._hangup()
        flow = self._flow(entry.get("version"))
        rules = flow.rules(entry.get("queue"))
        status = params.get("DialCallStatus", "")
        duration = params.get("DialCallDuration", "")
        result, reservations = queue.dialed(
            self.redis, entry_id, res, status, int(duration) if duration.isdigit() else 0,
            self.clock.now(), rules, flow.queue_rules.values())
        self.dispatch(reservations)
        log.info("call %s: dial to agent %s (%s)", clean(entry_id), result, clean(status))
        if result in ("answered", "abandoned"):
            self.on_finished()
        if entry.get("kind") == "callback" and self.callback_dialed is not None:
            return self.callback_dialed(entry, result)
        if result in ("answered", "abandoned"):
            return self._hangup()
        return self._back_in_queue(entry_id)

    def ended(self, sid: str) -> None:
        """The call is over (Twilio's status callback): it leaves any queue it was in."""
        entry = queue.entry(self.redis, sid)
        if entry is None:  # never queued (most calls end in the menus): nothing to free
            return
        flow = self.store.current()
        rules = flow.queue_rules.get(entry.get("queue"))
        state, reservations = queue.ended(self.redis, sid, self.clock.now(), "abandoned",
                                          rules, flow.queue_rules.values())
        self.dispatch(reservations)
        if state and state != "done":
            self.on_finished()

    # -- helpers -------------------------------------------------------------------------

    def _back_in_queue(self, entry_id: str) -> str:
        """TwiML that puts a caller back into Twilio's queue, with their own wait and action
        URLs (their place in our line was kept)."""
        entry = queue.entry(self.redis, entry_id)
        if entry is None or entry.state not in ("waiting", "joining"):
            return self._hangup()
        response = twiml_text.Response()
        response.enqueue(entry.get("queue"), wait_url=entry.get("wait"), wait_url_method="POST",
                         action=entry.get("action"), method="POST")
        return _twiml(response)

    def _flow(self, version: str | None) -> Flow:
        if version:
            try:
                return self.store.cached(version) or self.store.get(version)
            except UnknownVersion:
                pass
        return self.store.current()

    def _call(self, flow: Flow, sid: str, lang: str) -> Call:
        state = CallState(version=flow.version, lang=lang)
        return Call(flow, sid, state, {}, self.clock.now(), Live(), {})

    @staticmethod
    def _hangup() -> str:
        response = twiml_text.Response()
        response.hangup()
        return _twiml(response)


def add_agent(dial: twiml_text.Dial, agent: agents.Agent, whisper: str) -> None:
    """The <Dial> noun that reaches `agent`, with the whisper played to them on answer."""
    if agent.noun == "sip":
        dial.sip(agent.reach, url=whisper, method="POST")
    elif agent.noun == "client":
        dial.client(agent.reach.removeprefix("client:"), url=whisper, method="POST")
    else:
        dial.number(agent.reach, url=whisper, method="POST")


def _code(lang: str) -> str:
    return "fr-FR" if lang == "fr" else "en-GB"
