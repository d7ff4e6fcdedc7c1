"""The agent roster and presence: validation, states, the sets routing reads."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from ivr.centre import agents
from ivr.centre.agents import Agent, AgentError
from ivr.queue import Rules
from tests.conftest import MONDAY_MORNING

NOW = MONDAY_MORNING
SUPPORT = Rules("technical_support", "technical_support")


def agent(agent_id: str = "ana", skills: str = "technical_support", agency: str = "paris",
          reach: str = "+33 1 44 00 30 01") -> Agent:
    return Agent(id=agent_id, name=agent_id.title(), skills=skills, agency=agency,  # type: ignore[arg-type]
                 reach=reach)


@pytest.mark.parametrize(("reach", "expected", "noun"), [
    ("01 44 00 30 01", "+33144003001", "number"),
    ("+33 6 12 34 56 78", "+33612345678", "number"),
    ("sip:ana@pbx.example.com", "sip:ana@pbx.example.com", "sip"),
    ("client:ana", "client:ana", "client"),
])
def test_an_agent_is_reached_by_number_sip_or_client(reach, expected, noun):
    made = agent(reach=reach)
    assert (made.reach, made.noun) == (expected, noun)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("reach", "12", "reach must be a phone number"),
    ("reach", "sip:nobody", "reach must be a phone number"),
    ("skills", "Technical Support", "a skill is a queue name"),
    ("skills", "", "at least 1 item"),
    ("id", "Ana Smith", "should match pattern"),
])
def test_a_bad_agent_is_refused_with_the_reason(field, value, message):
    values = {"id": "ana", "name": "Ana", "skills": "technical_support", "reach": "+33144003001",
              field: value}
    with pytest.raises(ValidationError, match=message):
        Agent(**values)  # type: ignore[arg-type]


def test_a_new_agent_is_offline_and_unstaffed(r):
    assert agents.save(r, agent(), NOW) == "created"
    presence = agents.get(r, "ana")
    assert presence is not None
    assert (presence.state, presence.since) == ("offline", NOW)
    assert r.scard("ivr:agents:staffed:technical_support") == 0


def test_unknown_skills_are_refused_when_the_flow_is_given(r):
    with pytest.raises(AgentError, match="unknown skill.*tech_support.*technical_support"):
        agents.save(r, agent(skills="tech_support"), NOW, known_skills={"technical_support"})
    assert agents.get(r, "ana") is None


def test_available_agents_are_ordered_by_idle_time(r):
    for name, minutes in (("ana", 5), ("bob", 1), ("cid", 3)):
        agents.save(r, agent(name), NOW)
        agents.set_state(r, name, "available", NOW + timedelta(minutes=minutes), [SUPPORT])
    assert r.zrange("ivr:agents:avail:technical_support", 0, -1) == ["bob", "cid", "ana"]


def test_available_twice_keeps_the_idle_time(r):
    agents.save(r, agent(), NOW)
    agents.set_state(r, "ana", "available", NOW, [SUPPORT])
    previous, _ = agents.set_state(r, "ana", "available", NOW + timedelta(minutes=5), [SUPPORT])
    assert previous == "available"
    presence = agents.get(r, "ana")
    assert presence is not None and presence.since == NOW
    assert r.zscore("ivr:agents:avail:technical_support", "ana") == NOW.timestamp() * 1000


def test_break_is_staffed_but_not_available_offline_is_neither(r):
    agents.save(r, agent(skills="technical_support,delivery"), NOW)
    agents.set_state(r, "ana", "available", NOW, [])
    agents.set_state(r, "ana", "break", NOW, [])
    for skill in ("technical_support", "delivery"):
        assert r.sismember(f"ivr:agents:staffed:{skill}", "ana")
        assert r.zscore(f"ivr:agents:avail:{skill}", "ana") is None
    agents.set_state(r, "ana", "offline", NOW, [], reason="end of day")
    presence = agents.get(r, "ana")
    assert presence is not None and (presence.state, presence.reason) == ("offline", "end of day")
    assert not r.sismember("ivr:agents:staffed:delivery", "ana")


@pytest.mark.parametrize(("agent_id", "state", "message"), [
    ("nobody", "available", "no agent 'nobody'"),
    ("ana", "busy", "calls set it"),
    ("ana", "lunch", "state must be one of available, break, offline"),
])
def test_unknown_agents_and_states_get_a_clear_error(r, agent_id, state, message):
    agents.save(r, agent(), NOW)
    with pytest.raises(AgentError, match=message):
        agents.set_state(r, agent_id, state, NOW, [])


def test_changing_skills_moves_an_available_agent_between_sets(r):
    agents.save(r, agent(skills="technical_support"), NOW)
    agents.set_state(r, "ana", "available", NOW, [])
    assert agents.save(r, agent(skills="delivery"), NOW + timedelta(minutes=1)) == "updated"
    assert r.zscore("ivr:agents:avail:technical_support", "ana") is None
    assert r.zscore("ivr:agents:avail:delivery", "ana") == NOW.timestamp() * 1000
    assert not r.sismember("ivr:agents:staffed:technical_support", "ana")


def test_remove_takes_the_agent_out_of_every_set(r):
    agents.save(r, agent(), NOW)
    agents.set_state(r, "ana", "available", NOW, [])
    agents.remove(r, "ana")
    assert agents.get(r, "ana") is None
    assert r.zcard("ivr:agents:avail:technical_support") == 0
    assert agents.roster(r) == []
    with pytest.raises(AgentError, match="no agent 'ana'"):
        agents.remove(r, "ana")


def test_demo_agents_load_once_on_a_break(r):
    from ivr.services.demo import DEMO_AGENTS

    assert agents.load_demo(r, DEMO_AGENTS, NOW) == 3
    assert agents.load_demo(r, DEMO_AGENTS, NOW) == 0
    roster = {p.id: p for p in agents.roster(r)}
    assert sorted(roster) == ["lea", "marc", "sophie"]
    assert {p.state for p in roster.values()} == {"break"}
    assert roster["lea"].agent.skills == ("delivery", "maintenance")
