"""The flow diagram: a box per node, an arrow per branch target, with its labels."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ivr.core.settings import PROJECT_ROOT
from ivr.flows.loader import load_file
from ivr.web.admin.diagram import svg

SHIPPED = PROJECT_ROOT / "config" / "flow.yaml"
NS = {"s": "http://www.w3.org/2000/svg"}


def test_every_node_is_a_box_and_every_branch_an_arrow():
    config = load_file(SHIPPED).config
    root = ET.fromstring(str(svg(config)))
    boxes = [g.get("data-node") for g in root.findall("s:g", NS)]
    assert boxes == list(config.nodes)
    arrows = {path.find("s:title", NS).text for path in root.findall("s:path", NS)}
    expected = {f"{name} → {target}" for name, node in config.nodes.items()
                for target in node.next_nodes()}
    assert arrows == expected
    labels = {t.text for t in root.findall("s:text", NS) if t.get("class") == "edge"}
    assert {"open", "closed", "holiday", "closure", "emergency"} <= labels
    assert "on_timeout, on_fail" in labels  # two branches to one node: one arrow

