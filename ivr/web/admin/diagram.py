"""The flow as a picture: nodes in rows by their distance from the start, arrows labelled with
the branch they follow; an SVG drawn on the server from the flow's data."""

from __future__ import annotations

from collections import deque

from markupsafe import Markup, escape

from ivr.flows.schema import FlowConfig

BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN = 168, 44, 28, 64, 20
COLOURS = {"check_hours": "#fde7c2", "check_contract": "#fde7c2", "menu": "#d8e8fb",
           "language": "#d8e8fb", "identify": "#d8e8fb", "enqueue": "#d7f0da",
           "transfer": "#d7f0da", "voicemail": "#ecdcf7", "hangup": "#f1d6d3"}


def _rows(config: FlowConfig) -> list[list[str]]:
    """Nodes by breadth-first distance from the start; unreachable ones last."""
    depth = {config.start: 0}
    todo = deque([config.start])
    while todo:
        name = todo.popleft()
        for target in config.nodes[name].next_nodes():
            if target in config.nodes and target not in depth:
                depth[target] = depth[name] + 1
                todo.append(target)
    last = max(depth.values(), default=0)
    for name in config.nodes:
        depth.setdefault(name, last + 1)
    rows: list[list[str]] = [[] for _ in range(max(depth.values()) + 1)]
    for name in config.nodes:  # file order within a row
        rows[depth[name]].append(name)
    return rows


def _branch(place: str) -> str:
    """'options.1' -> '1', 'open' -> 'open', 'next' -> ''."""
    label = place.removeprefix("options.").removeprefix("choices.")
    return "" if label == "next" else label.replace(".node", "")


def svg(config: FlowConfig) -> Markup:
    """An SVG of the flow (every text escaped)."""
    rows = _rows(config)
    width = max(len(row) for row in rows) * (BOX_W + GAP_X) - GAP_X + 2 * MARGIN
    height = len(rows) * (BOX_H + GAP_Y) - GAP_Y + 2 * MARGIN
    where: dict[str, tuple[float, float]] = {}
    for r, row in enumerate(rows):
        offset = (width - (len(row) * (BOX_W + GAP_X) - GAP_X)) / 2
        for c, name in enumerate(row):
            where[name] = (offset + c * (BOX_W + GAP_X), MARGIN + r * (BOX_H + GAP_Y))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="diagram" width="{width:.0f}" '
             f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
             'aria-label="call flow diagram">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
             'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
             'fill="#5b6577"/></marker></defs>']
    for name, node in config.nodes.items():
        x1, y1 = where[name]
        branches: dict[str, list[str]] = {}  # one arrow per target, its branches together
        for place, kind, target in node.references():
            if kind == "node" and target in where:
                branches.setdefault(target, []).append(_branch(place))
        for target, labels in branches.items():
            x2, y2 = where[target]
            start = (x1 + BOX_W / 2, y1 + BOX_H)
            if y2 > y1:
                end = (x2 + BOX_W / 2, y2)
                path = (f"M{start[0]:.0f},{start[1]:.0f} C{start[0]:.0f},{start[1] + 30:.0f} "
                        f"{end[0]:.0f},{end[1] - 30:.0f} {end[0]:.0f},{end[1]:.0f}")
            else:  # back or sideways: around the right side
                end = (x2 + BOX_W, y2 + BOX_H / 2)
                bend = max(x1, x2) + BOX_W + GAP_X * 0.8
                path = (f"M{x1 + BOX_W:.0f},{y1 + BOX_H / 2:.0f} C{bend:.0f},{y1 + BOX_H / 2:.0f} "
                        f"{bend:.0f},{end[1]:.0f} {end[0]:.0f},{end[1]:.0f}")
            parts.append(f'<path d="{path}" fill="none" stroke="#5b6577" stroke-width="1.2" '
                         f'marker-end="url(#arrow)"><title>{escape(name)} → {escape(target)}'
                         f'</title></path>')
            label = ", ".join(label for label in labels if label)
            if label:
                lx = (start[0] + end[0]) / 2 if y2 > y1 else bend - 6
                ly = (start[1] + end[1]) / 2 if y2 > y1 else (y1 + y2 + BOX_H) / 2
                parts.append(f'<text x="{lx:.0f}" y="{ly:.0f}" class="edge" '
                             f'text-anchor="middle">{escape(label[:30])}</text>')
    for name, node in config.nodes.items():
        x, y = where[name]
        kind = node.type  # type: ignore[attr-defined]
        colour = COLOURS.get(kind, "#ffffff")
        thick = ' stroke-width="2.5"' if name == config.start else ""
        parts.append(f'<g class="node" data-node="{escape(name)}"><rect x="{x:.0f}" y="{y:.0f}" '
                     f'width="{BOX_W}" height="{BOX_H}" rx="6" fill="{colour}" '
                     f'stroke="#1d2430"{thick}/><text x="{x + BOX_W / 2:.0f}" y="{y + 18:.0f}" '
                     f'text-anchor="middle" class="name">{escape(name[:22])}</text>'
                     f'<text x="{x + BOX_W / 2:.0f}" y="{y + 34:.0f}" text-anchor="middle" '
                     f'class="type">{escape(kind)}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))
