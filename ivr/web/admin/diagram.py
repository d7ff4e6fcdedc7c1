"""The flow as a picture, laid out by Graphviz (`dot`) on the server: a box per node (its name,
then its type), an arrow per target with the branches that lead there; each box links to the
node in the flow editor."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from functools import lru_cache

from markupsafe import Markup, escape

from ivr.flows.config import FlowConfig

COLOURS = {"check_hours": "#fde7c2", "check_contract": "#fde7c2", "menu": "#d8e8fb",
           "language": "#d8e8fb", "identify": "#d8e8fb", "enqueue": "#d7f0da",
           "transfer": "#d7f0da", "voicemail": "#ecdcf7", "hangup": "#f1d6d3"}
DOT_SECONDS = 10
UNAVAILABLE = Markup('<p class="muted" id="no-diagram">No diagram: Graphviz (<code>dot</code>) '
                     "is not installed on this server (Debian package <code>graphviz</code>).</p>")


def _branch(place: str) -> str:
    """'options.1' -> '1', 'open' -> 'open', 'next' -> ''."""
    label = place.removeprefix("options.").removeprefix("choices.")
    return "" if label == "next" else label.replace(".node", "")


def _quoted(text: str) -> str:
    """A DOT string (the text, never markup)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def dot_source(config: FlowConfig, link: Callable[[str], str]) -> str:
    """The flow in Graphviz's DOT language; `link(name)` is the address of a node's editor."""
    lines = ['digraph flow {', 'rankdir=TB; nodesep=0.35; ranksep=0.55;',
             'node [shape=box style="rounded,filled" fontname="sans-serif" fontsize=11 '
             'color="#1d2430" margin="0.15,0.06"];',
             'edge [fontname="sans-serif" fontsize=10 color="#5b6577" fontcolor="#0b5cad" '
             'arrowsize=0.7];']
    for name, node in config.nodes.items():
        kind = node.type  # type: ignore[attr-defined]
        width = ' penwidth=2.5' if name == config.start else ""
        label = _quoted(name)[:-1] + "\\n" + _quoted(kind)[1:]  # DOT's \n: two lines
        lines.append(f'{_quoted(name)} [id={_quoted("node-" + name)} '
                     f'label={label} '
                     f'fillcolor="{COLOURS.get(kind, "#ffffff")}"{width} '
                     f'URL={_quoted(str(escape(link(name))))} tooltip={_quoted("edit " + name)}];')
    for name, node in config.nodes.items():
        branches: dict[str, list[str]] = {}  # one arrow per target, its branches together
        for place, kind, target in node.references():
            if kind == "node" and target in config.nodes:
                branches.setdefault(target, []).append(_branch(place))
        for target, labels in branches.items():
            label = ", ".join(label for label in labels if label)
            lines.append(f'{_quoted(name)} -> {_quoted(target)} '
                         f'[id={_quoted(f"edge-{name}-{target}")} '
                         f'label={_quoted(label)} tooltip={_quoted(f"{name} → {target}")}];')
    lines.append("}")
    return "\n".join(lines)


_PROLOGUE = re.compile(r"\A.*?(?=<svg\b)", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)


@lru_cache(maxsize=64)
def _render(source: str) -> str:
    done = subprocess.run(["dot", "-Tsvg"], input=source.encode(), capture_output=True,
                          timeout=DOT_SECONDS, check=True)
    svg = _COMMENT.sub("", _PROLOGUE.sub("", done.stdout.decode()))
    return svg.replace("<svg ", '<svg class="diagram" role="img" '
                       'aria-label="call flow diagram" ', 1)


def svg(config: FlowConfig, link: Callable[[str], str]) -> Markup:
    """An SVG of the flow drawn by Graphviz (every text escaped by it), or a line saying why
    there is none."""
    if shutil.which("dot") is None:
        return UNAVAILABLE
    try:
        return Markup(_render(dot_source(config, link)))
    except (subprocess.SubprocessError, OSError) as exc:
        return Markup('<p class="muted" id="no-diagram">No diagram: Graphviz failed ({})</p>'
                      ).format(escape(type(exc).__name__))
