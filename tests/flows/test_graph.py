"""Graph checks of a flow: names resolve (with a hint), every node is reachable, no loop
without a question, every prompt complete in every language."""

from __future__ import annotations

from typing import Any

import yaml

from ivr.core.settings import PROJECT_ROOT
from ivr.flows import graph
from ivr.flows.config import FlowConfig

SHIPPED = PROJECT_ROOT / "config" / "flow.yaml"


def problems(change: Any) -> list[tuple[tuple[str, ...], str]]:
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    change(data)
    return graph.check(FlowConfig.model_validate(data))


def test_the_shipped_flow_has_no_problem():
    assert problems(lambda d: None) == []


def test_a_misspelt_node_gets_a_hint():
    def change(d: dict[str, Any]) -> None:
        d["start"] = "greetng"
    assert problems(change) == [(("start",), "unknown node 'greetng' (did you mean 'greeting'?)")]


def test_an_unreachable_node_is_named():
    def change(d: dict[str, Any]) -> None:
        d["nodes"]["orphan"] = {"type": "hangup", "prompt": "goodbye"}
    assert problems(change) == [(("nodes", "orphan"),
                                 "node 'orphan' cannot be reached from start 'greeting'")]


def test_a_prompt_missing_a_language_is_named():
    def change(d: dict[str, Any]) -> None:
        del d["prompts"]["goodbye"]["en"]
    assert problems(change) == [(("prompts", "goodbye"), "missing the 'en' text")]


def test_an_unknown_placeholder_lists_the_known_ones():
    def change(d: dict[str, Any]) -> None:
        d["prompts"]["goodbye"]["fr"] = "Au revoir {name}."
    [(place, message)] = problems(change)
    assert place == ("prompts", "goodbye", "fr")
    assert message.startswith("unknown placeholder {name} (known: callback_when, client_id, ")


def test_a_silent_loop_is_refused_with_its_path():
    def change(d: dict[str, Any]) -> None:
        d["nodes"]["contract_expired"]["next"] = "agency_hours"
    found = problems(change)
    assert found and all("loops without asking the caller anything" in m for _, m in found)
    assert any("contract_expired" in m and "agency_hours" in m for _, m in found)


def test_a_loop_through_a_node_that_may_not_ask_is_refused():
    # the contract check asks only an expiring caller: an expired one would spin
    def change(d: dict[str, Any]) -> None:
        d["nodes"]["contract"]["expired"] = "agency_hours"
    found = problems(change)
    assert any("contract" in m and "agency_hours" in m for _, m in found), found


def test_the_renewal_offer_must_lead_to_a_queue():
    def change(d: dict[str, Any]) -> None:
        d["nodes"]["contract"]["renewal"]["to"] = "goodbye"
    assert problems(change) == [(("nodes", "contract", "renewal", "to"),
                                 "must name an enqueue node (the maintenance queue), not the "
                                 "hangup node 'goodbye'")]
