"""The stack map: WFP's layers as a graph with the documented paths, a journey drawn on it.

:func:`stack_graph` is a pure networkx graph (nodes = layer families, edges = the documented
traversal steps, tagged with the paths they belong to). :func:`stack_map` lays it out with
Graphviz — outbound on the left, inbound on the right, ALE at the top, IP packets at the
bottom — and can highlight one journey. Every layer node has the SVG id
``layer-<SHORT_NAME>`` (e.g. ``layer-OUTBOUND_TRANSPORT_V4``) so the player can restyle it
without laying the picture out again.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

from wfpsim.catalog import layer

#: Where each layer family sits (inches): outbound on the left, inbound on the right, the
#: application on top, the network at the bottom. Three columns 1.95 in apart and rows 0.64 in
#: apart keep the whole map about 5.5 in (400 px) wide, so at a notebook's width (the map beside
#: the inspector, about 900 px together) its labels read at 12-13 px rather than shrinking.
COLUMNS = (0.9, 2.85, 4.8)
ROW = 0.64
POSITIONS: dict[str, tuple[float, float]] = {
    "APPLICATION": (COLUMNS[1], 10 * ROW),
    "ALE_BIND_REDIRECT": (COLUMNS[0], 9 * ROW),
    "ALE_RESOURCE_ASSIGNMENT": (COLUMNS[0], 8 * ROW),
    "ALE_ENDPOINT_CLOSURE": (COLUMNS[1], 9 * ROW),
    "ALE_RESOURCE_RELEASE": (COLUMNS[1], 8 * ROW),
    "ALE_AUTH_LISTEN": (COLUMNS[2], 9 * ROW),
    "ALE_CONNECT_REDIRECT": (COLUMNS[0], 7 * ROW),
    "ALE_AUTH_CONNECT": (COLUMNS[0], 6 * ROW),
    "ALE_AUTH_RECV_ACCEPT": (COLUMNS[2], 6 * ROW),
    "ALE_FLOW_ESTABLISHED": (COLUMNS[1], 5 * ROW),
    "STREAM": (COLUMNS[1] - 0.85, 4 * ROW),
    "DATAGRAM_DATA": (COLUMNS[1] + 0.85, 4 * ROW),
    "OUTBOUND_TRANSPORT": (COLUMNS[0], 3 * ROW),
    "INBOUND_TRANSPORT": (COLUMNS[2], 3 * ROW),
    "OUTBOUND_ICMP_ERROR": (COLUMNS[0], 2 * ROW),
    "INBOUND_ICMP_ERROR": (COLUMNS[2], 2 * ROW),
    "OUTBOUND_IPPACKET": (COLUMNS[0], 1 * ROW),
    "INBOUND_IPPACKET": (COLUMNS[2], 1 * ROW),
    "NETWORK": (COLUMNS[1], 0.0),
}
#: Node label size (points; 1 pt = 1 px in the SVG): a map scaled to 440 px still shows
#: labels of at least 11 px (the real-browser test measures them).
FONT_SIZE = 13
KIND_COLOURS = {"ALE": "#e8e0f8", "data": "#fdf1d6", "transport": "#dcecf9", "ip": "#e2f3e4"}

#: The documented paths (*TCP Packet Flows*, *UDP Packet Flows*) as sequences of layer families.
PATHS: dict[str, list[str]] = {
    "TCP client": [
        "APPLICATION",
        "ALE_BIND_REDIRECT",
        "ALE_RESOURCE_ASSIGNMENT",
        "ALE_CONNECT_REDIRECT",
        "ALE_AUTH_CONNECT",
        "OUTBOUND_TRANSPORT",
        "OUTBOUND_IPPACKET",
        "NETWORK",
        "INBOUND_IPPACKET",
        "INBOUND_TRANSPORT",
        "ALE_FLOW_ESTABLISHED",
        "STREAM",
    ],
    "TCP server": [
        "APPLICATION",
        "ALE_BIND_REDIRECT",
        "ALE_RESOURCE_ASSIGNMENT",
        "ALE_AUTH_LISTEN",
        "NETWORK",
        "INBOUND_IPPACKET",
        "INBOUND_TRANSPORT",
        "ALE_AUTH_RECV_ACCEPT",
        "OUTBOUND_TRANSPORT",
        "OUTBOUND_IPPACKET",
        "ALE_FLOW_ESTABLISHED",
        "STREAM",
    ],
    "UDP / ICMP send": [
        "APPLICATION",
        "ALE_BIND_REDIRECT",
        "ALE_RESOURCE_ASSIGNMENT",
        "ALE_CONNECT_REDIRECT",
        "ALE_AUTH_CONNECT",
        "ALE_FLOW_ESTABLISHED",
        "DATAGRAM_DATA",
        "OUTBOUND_TRANSPORT",
        "OUTBOUND_IPPACKET",
        "NETWORK",
    ],
    "UDP / ICMP receive": [
        "NETWORK",
        "INBOUND_IPPACKET",
        "INBOUND_TRANSPORT",
        "ALE_AUTH_RECV_ACCEPT",
        "ALE_FLOW_ESTABLISHED",
        "DATAGRAM_DATA",
        "APPLICATION",
    ],
    "data": ["STREAM", "OUTBOUND_TRANSPORT"],
    "close": ["APPLICATION", "ALE_ENDPOINT_CLOSURE", "ALE_RESOURCE_RELEASE"],
    "closed TCP port": ["INBOUND_IPPACKET", "INBOUND_TRANSPORT_DISCARD", "OUTBOUND_TRANSPORT"],
    "closed UDP port": [
        "INBOUND_IPPACKET",
        "INBOUND_IPPACKET_DISCARD",
        "OUTBOUND_ICMP_ERROR",
        "OUTBOUND_TRANSPORT",
    ],
    "ICMP error in": ["INBOUND_IPPACKET", "INBOUND_ICMP_ERROR"],
}
DISCARD_TWINS = (
    "ALE_RESOURCE_ASSIGNMENT",
    "ALE_AUTH_LISTEN",
    "ALE_AUTH_CONNECT",
    "ALE_AUTH_RECV_ACCEPT",
    "ALE_FLOW_ESTABLISHED",
    "STREAM",
    "DATAGRAM_DATA",
    "OUTBOUND_TRANSPORT",
    "INBOUND_TRANSPORT",
    "OUTBOUND_IPPACKET",
    "INBOUND_IPPACKET",
    "OUTBOUND_ICMP_ERROR",
    "INBOUND_ICMP_ERROR",
)
RESULT_COLOURS = {
    "PERMIT": "#2e7d32",
    "NONE": "#1565c0",
    "NONE_NO_MATCH": "#1565c0",
    "BLOCK": "#c62828",
    "DISCARD": "#ef6c00",
}


def layer_name(fam: str, version: int) -> str:
    """``OUTBOUND_TRANSPORT`` + 4 → ``OUTBOUND_TRANSPORT_V4`` (discard suffix kept last)."""
    if fam in ("APPLICATION", "NETWORK"):
        return fam
    if fam.endswith("_DISCARD"):
        return f"{fam.removesuffix('_DISCARD')}_V{version}_DISCARD"
    return f"{fam}_V{version}"


def node_id(name: str) -> str:
    """The SVG id of a layer node (``layer-ALE_AUTH_CONNECT_V4``)."""
    return f"layer-{name}"


def edge_id(a: str, b: str) -> str:
    """The SVG id of an edge between two layer nodes."""
    return f"edge-{a}--{b}"


def _kind(fam: str) -> str:
    if fam in ("APPLICATION", "NETWORK"):
        return "end"
    if fam.startswith("ALE"):
        return "ALE"
    if fam in ("STREAM", "DATAGRAM_DATA"):
        return "data"
    return "transport" if "TRANSPORT" in fam or "ICMP" in fam else "ip"


def twin_position(fam: str) -> tuple[float, float]:
    """A discard twin is a small tab on the outer lower corner of its layer's box.

    Drawn only where it matters (a journey crossed it, or every twin was asked for), it keeps
    the map three columns wide instead of five.
    """
    x, y = POSITIONS[fam]
    side = -1.0 if x < COLUMNS[1] - 0.1 else 1.0
    return (round(x + side * 0.62, 2), round(y - 0.27, 2))


def stack_graph(version: int = 4) -> Any:
    """The layers and documented paths as a ``networkx.DiGraph``.

    Node attributes: ``kind`` (ALE, data, transport, ip, discard, end), ``pos`` (inches),
    ``family``; edge attribute ``paths``: the documented paths the step belongs to.
    """
    import networkx as nx

    g = nx.DiGraph()
    for fam, pos in POSITIONS.items():
        g.add_node(layer_name(fam, version), kind=_kind(fam), pos=pos, family=fam)
    for fam in DISCARD_TWINS:
        g.add_node(
            layer_name(f"{fam}_DISCARD", version),
            kind="discard",
            pos=twin_position(fam),
            family=f"{fam}_DISCARD",
            twin_of=layer_name(fam, version),
        )
    for path_name, fams in PATHS.items():
        names = [layer_name(f, version) for f in fams]
        for a, b in itertools.pairwise(names):
            if g.has_edge(a, b):
                g.edges[a, b]["paths"].append(path_name)
            else:
                g.add_edge(a, b, paths=[path_name])
    return g


def _label(name: str) -> str:
    """``ALE_RESOURCE_ASSIGNMENT_V4`` → ``ALE resource\\nassignment`` (lines of ≤ 12 characters)."""
    words = layer(name).family.lower().split("_")
    words = ["ALE" if w == "ale" else "ICMP" if w == "icmp" else w for w in words]
    lines = [words[0]]
    for word in words[1:]:
        if len(lines[-1]) + 1 + len(word) <= 12:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\\n".join(lines)


def journey_pairs(journey: Any) -> list[tuple[str, str]]:
    """Distinct consecutive (layer, next layer) pairs of a journey, in first-seen order."""
    pairs: dict[tuple[str, str], None] = {}
    for prev, nxt in itertools.pairwise(journey.steps):
        if prev.layer != nxt.layer:
            pairs.setdefault((prev.layer, nxt.layer), None)
    return list(pairs)


def _crossed(journey: Any) -> tuple[dict[str, str], dict[str, list[int]]]:
    """The result each crossed layer is coloured with (a block wins) and its step numbers."""
    crossed: dict[str, str] = {}
    numbers: dict[str, list[int]] = {}
    for step in journey.steps:
        result = "DISCARD" if step.is_discard else step.classification.action.name
        if crossed.get(step.layer) != "BLOCK":
            crossed[step.layer] = result
        numbers.setdefault(step.layer, []).append(step.index)
    return crossed, numbers


def _node_line(name: str, data: dict[str, Any], mark: tuple[str, list[int]] | None) -> str:
    x, y = data["pos"]
    kind = data["kind"]
    label = name.lower() if kind == "end" else _label(name)
    if kind == "end":
        attrs = 'shape=ellipse, fillcolor="#eceff1", width=1.2, height=0.4'
    elif kind == "discard":
        attrs = (
            f'fillcolor="#fff3e0", fontsize={FONT_SIZE - 1}, color="#ef6c00", '
            'style="rounded,filled,dashed", width=0.95, height=0.27'
        )
        label = "discard"
    else:
        attrs = f'fillcolor="{KIND_COLOURS[kind]}"'
    if mark is not None:
        steps = ",".join(str(i) for i in mark[1][:4]) + ("…" if len(mark[1]) > 4 else "")
        label += f" #{steps}"  # on the last line: the box keeps its height, may widen
        attrs += f', color="{RESULT_COLOURS.get(mark[0], "#1565c0")}", penwidth=3, fixedsize=false'
    return (
        f'  "{name}" [id="{node_id(name)}", class="layer", label="{label}", '
        f'pos="{x},{y}!", {attrs}];'
    )


def stack_dot(
    version: int = 4,
    journey: Any = None,
    highlight: bool = True,
    *,
    also: Iterable[str] = (),
    discards: bool = False,
) -> str:
    """The DOT source of the stack map.

    Every layer family has its node; a discard twin is drawn (as a tab on its layer) only when
    the journey crossed it, when it is named in ``also`` (the player passes every journey's
    layers), or with ``discards=True``. The documented paths' edges (class ``path``) are faint
    when a journey is drawn, so the journey's own path dominates: an edge for every consecutive
    pair of layers it crossed (ids ``hop-<A>--<B>``). With ``highlight`` the crossed layers are
    coloured by result and numbered with their steps (the player passes ``highlight=False``
    and restyles instead).
    """
    g = stack_graph(version)
    crossed: dict[str, str] = {}
    numbers: dict[str, list[int]] = {}
    if journey is not None and highlight:
        crossed, numbers = _crossed(journey)
    wanted = set(also) | ({s.layer for s in journey.steps} if journey is not None else set())
    drawn = {n for n, d in g.nodes(data=True) if d["kind"] != "discard" or discards or n in wanted}
    faint = journey is not None
    lines = [
        "digraph stackmap {",
        '  graph [layout=neato, splines=true, overlap=true, fontname="Helvetica", '
        'bgcolor="white", pad=0.12];',
        f'  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize={FONT_SIZE}, '
        'penwidth=1.2, color="#78909c", width=1.55, height=0.5, fixedsize=true];',
        f'  edge [color="{"#e6eaed" if faint else "#b0bec5"}", arrowsize=0.5, '
        f"penwidth={0.7 if faint else 1.0}];",
    ]
    tabs: list[str] = []  # discard tabs go last, so they are drawn over the edges that pass them
    for name, data in g.nodes(data=True):
        if name in drawn:
            mark = (crossed[name], numbers[name]) if name in crossed else None
            (tabs if data["kind"] == "discard" else lines).append(_node_line(name, data, mark))
    for a, b, data in g.edges(data=True):
        if a in drawn and b in drawn and "discard" not in (g.nodes[a]["kind"], g.nodes[b]["kind"]):
            tip = ", ".join(data["paths"])
            lines.append(f'  "{a}" -> "{b}" [id="{edge_id(a, b)}", class="path", tooltip="{tip}"];')
    if journey is not None:
        for a, b in journey_pairs(journey):
            colour = "#455a64" if highlight else "#eceff1"
            lines.append(
                f'  "{a}" -> "{b}" [id="hop-{a}--{b}", class="hop", color="{colour}", '
                f"penwidth={1.8 if highlight else 1.2}];"
            )
    lines += tabs
    lines.append("}")
    return "\n".join(lines)


def stack_map(journey: Any = None, version: int | None = None) -> Any:
    """A :class:`~wfpsim.viz.svg.Picture` of the stack map (journey highlighted if given)."""
    from wfpsim.viz.svg import Picture

    if version is None:
        version = (
            6
            if journey is not None
            and any(s.layer.endswith(("V6", "V6_DISCARD")) for s in journey.steps)
            else 4
        )
    return Picture(stack_dot(version, journey))


def layers_of(journey: Any) -> Iterable[str]:
    """The distinct layers a journey crossed, in first-crossing order."""
    seen: dict[str, None] = {}
    for step in journey.steps:
        seen.setdefault(step.layer, None)
    return list(seen)
