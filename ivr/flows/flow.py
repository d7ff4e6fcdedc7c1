"""A validated flow, ready to run: its script (prompts, schedules, queues), its nodes, and what
each step reads."""

from __future__ import annotations

from functools import cache

from ivr.flows.config import FlowConfig
from ivr.flows.nodes.base import Node
from ivr.flows.script import Script


class Flow(Script):
    """One published version of the call flow. Immutable: a publish makes a new one."""

    config: FlowConfig

    def __init__(self, config: FlowConfig, version: str) -> None:
        self.nodes: dict[str, Node] = dict(config.nodes)
        super().__init__(config, version,
                         frozenset(name for name, node in self.nodes.items() if node.sealable))
        self.needs = cache(self._needs)

    @property
    def start(self) -> str:
        return self.config.start

    @property
    def steady_start(self) -> bool:
        """Whether every new call gets the same first answer: the nodes from the start up to
        the first question are all steady (their answer depends on no time, caller or read)."""
        name: str | None = self.start
        seen: set[str] = set()
        while name is not None and name not in seen:
            seen.add(name)
            node = self.nodes[name]
            if not node.steady or node.needs_callbacks:
                return False
            if node.waits:
                return True
            name = getattr(node, "next", None)
        return False

    def _needs(self, receiving: str | None) -> frozenset[str]:
        """What a step may read from Redis: the receiving node's needs, and the enter needs of
        every node the step can reach before the next question (start: `receiving` is None)."""
        if receiving is None:
            needs: set[str] = set()
            todo = [self.start]
        else:
            node = self.nodes[receiving]
            needs = set(node.receive_needs)
            todo = [receiving, *node.next_nodes()]
        seen: set[str] = set()
        while todo:
            name = todo.pop()
            if name in seen or name not in self.nodes:
                continue
            seen.add(name)
            node = self.nodes[name]
            needs |= node.enter_needs
            if not node.waits or node.passes:
                todo.extend(node.next_nodes())
        return frozenset(needs)
