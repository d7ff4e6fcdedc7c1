"""The flow diagram, laid out by Graphviz: a box per node linking to its editor, an arrow per
branch target with its labels, labels apart from each other."""

from __future__ import annotations

import itertools
import math
import xml.etree.ElementTree as ET

from ivr.core.settings import PROJECT_ROOT
from ivr.flows.loader import load_file
from ivr.web.admin.diagram import dot_source, svg

SHIPPED = PROJECT_ROOT / "config" / "flow.yaml"
SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"


def drawn(link=lambda name: f"/admin/flow?v=3&node={name}"):
    config = load_file(SHIPPED).config
    root = ET.fromstring(str(svg(config, link)))
    groups = {kind: [g for g in root.iter(SVG + "g") if g.get("class") == kind]
              for kind in ("node", "edge")}
    return config, root, groups


def test_every_node_is_a_box_linking_to_its_editor():
    config, root, groups = drawn()
    assert root.get("class") == "diagram"
    assert sorted(g.find(SVG + "title").text for g in groups["node"]) == sorted(config.nodes)
    links = {g.find(SVG + "title").text: g.find(f".//{SVG}a").get(XLINK + "href")
             for g in groups["node"]}
    assert links["greeting"] == "/admin/flow?v=3&node=greeting"
    start = next(g for g in groups["node"] if g.find(SVG + "title").text == config.start)
    assert start.find(f".//{SVG}path").get("stroke-width") == "2.5"


def test_every_branch_target_is_one_arrow_with_its_labels():
    config, _, groups = drawn()
    arrows = {g.find(SVG + "title").text for g in groups["edge"]}
    assert arrows == {f"{name}->{target}" for name, node in config.nodes.items()
                      for target in node.next_nodes()}
    labels = [" ".join(t.text for t in g.iter(SVG + "text")) for g in groups["edge"]]
    assert {"open", "closed", "holiday", "closure", "emergency"} <= set(labels)
    assert "on_timeout, on_fail" in labels  # two branches to one node: one arrow


def test_no_two_labels_are_drawn_on_top_of_each_other():
    _, _, groups = drawn()
    places = [(float(t.get("x")), float(t.get("y"))) for g in groups["edge"]
              for t in g.iter(SVG + "text")]
    assert len(places) > 10
    for (x1, y1), (x2, y2) in itertools.combinations(places, 2):
        assert math.hypot(x1 - x2, y1 - y2) > 8, ((x1, y1), (x2, y2))


def test_names_are_quoted_for_dot_and_escaped_in_the_picture():
    config = load_file(SHIPPED).config
    source = dot_source(config, lambda name: f'/x?a="{name}"&b=<{name}>')
    assert "<greeting>" not in source  # markup escaped before dot
    root = ET.fromstring(str(svg(config, lambda name: f'/x?a="{name}"&b=<{name}>')))
    hrefs = [a.get(XLINK + "href") for a in root.iter(SVG + "a") if a.get(XLINK + "href")]
    assert '/x?a="greeting"&b=<greeting>' in hrefs


def test_without_graphviz_the_page_says_why(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` on this PATH
    config = load_file(SHIPPED).config
    assert "Graphviz (<code>dot</code>) is not installed" in str(svg(config, str))
