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

#: Where each layer family sits (inches): outbound on the left, inbound on the right, the
#: application on top, the network at the bottom; discard twins beside their layer.
POSITIONS: dict[str, tuple[float, float]] = {
    "APPLICATION": (5.0, 9.3),
    "ALE_BIND_REDIRECT": (2.3, 8.4),
    "ALE_RESOURCE_ASSIGNMENT": (2.3, 7.6),
    "ALE_ENDPOINT_CLOSURE": (5.0, 8.4),
    "ALE_RESOURCE_RELEASE": (5.0, 7.6),
    "ALE_AUTH_LISTEN": (7.7, 8.4),
    "ALE_CONNECT_REDIRECT": (2.3, 6.8),
    "ALE_AUTH_CONNECT": (2.3, 6.0),
    "ALE_AUTH_RECV_ACCEPT": (7.7, 6.0),
    "ALE_FLOW_ESTABLISHED": (5.0, 5.2),
    "STREAM": (4.0, 4.2),
    "DATAGRAM_DATA": (6.0, 4.2),
    "OUTBOUND_TRANSPORT": (2.3, 2.9),
    "INBOUND_TRANSPORT": (7.7, 2.9),
    "OUTBOUND_ICMP_ERROR": (2.3, 2.1),
    "INBOUND_ICMP_ERROR": (7.7, 2.1),
    "OUTBOUND_IPPACKET": (2.3, 1.3),
    "INBOUND_IPPACKET": (7.7, 1.3),
    "NETWORK": (5.0, 0.3),
}
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


def family(name: str) -> str:
    """``OUTBOUND_TRANSPORT_V4`` → ``OUTBOUND_TRANSPORT``; discard twins keep ``_DISCARD``."""
    discard = name.endswith("_DISCARD")
    base = name.removesuffix("_DISCARD").removesuffix("_V4").removesuffix("_V6")
    return base + ("_DISCARD" if discard else "")


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
    """Discard twins sit on the outer side of their layer (below it for the middle ones)."""
    x, y = POSITIONS[fam]
    if x < 4.0:
        return (x - 2.1, y)
    if x > 6.5:
        return (x + 2.1, y)
    return (x, y - 0.62) if fam != "ALE_FLOW_ESTABLISHED" else (x + 2.05, y)


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
    short = name.replace("_V4", "").replace("_V6", "")
    return (
        short.replace("_DISCARD", "\\n(discard)").replace("_", " ").lower().replace("ale ", "ALE ")
    )


def journey_pairs(journey: Any) -> list[tuple[str, str]]:
    """Distinct consecutive (layer, next layer) pairs of a journey, in first-seen order."""
    pairs: dict[tuple[str, str], None] = {}
    for prev, nxt in itertools.pairwise(journey.steps):
        if prev.layer != nxt.layer:
            pairs.setdefault((prev.layer, nxt.layer), None)
    return list(pairs)


def stack_dot(version: int = 4, journey: Any = None, highlight: bool = True) -> str:
    """The DOT source of the stack map.

    With a ``journey``, an edge is added for every consecutive pair of layers it crossed
    (ids ``hop-<A>--<B>``); with ``highlight`` the crossed layers are coloured by result and
    numbered with their steps (the player passes ``highlight=False`` and restyles instead).
    """
    g = stack_graph(version)
    crossed: dict[str, str] = {}
    numbers: dict[str, list[int]] = {}
    if journey is not None and highlight:
        for step in journey.steps:
            result = "DISCARD" if step.is_discard else step.classification.action.name
            if crossed.get(step.layer) != "BLOCK":
                crossed[step.layer] = result
            numbers.setdefault(step.layer, []).append(step.index)
    lines = [
        "digraph stackmap {",
        '  graph [layout=neato, splines=true, overlap=true, fontname="Helvetica", '
        'bgcolor="white", pad=0.2];',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10, '
        'penwidth=1.2, color="#78909c", width=1.9, height=0.42, fixedsize=true];',
        '  edge [color="#dde3e7", arrowsize=0.5, penwidth=0.8];',
    ]
    for name, data in g.nodes(data=True):
        x, y = data["pos"]
        kind = data["kind"]
        label = _label(name)
        if kind == "end":
            attrs = 'shape=ellipse, fillcolor="#eceff1", width=1.3'
            label = name.lower()
        elif kind == "discard":
            attrs = (
                'fillcolor="#fff8ee", fontsize=9, color="#ffb74d", '
                'style="rounded,filled,dashed", width=1.75, height=0.4'
            )
        else:
            attrs = f'fillcolor="{KIND_COLOURS[kind]}"'
        if name in crossed:
            colour = RESULT_COLOURS.get(crossed[name], "#1565c0")
            steps = ",".join(str(i) for i in numbers[name][:5])
            more = "…" if len(numbers[name]) > 5 else ""
            label += f"\\n#{steps}{more}"
            attrs += f', color="{colour}", penwidth=3'
        lines.append(
            f'  "{name}" [id="{node_id(name)}", class="layer", label="{label}", '
            f'pos="{x},{y}!", {attrs}];'
        )
    for a, b, data in g.edges(data=True):
        tip = ", ".join(data["paths"])
        lines.append(f'  "{a}" -> "{b}" [id="{edge_id(a, b)}", tooltip="{tip}"];')
    for name, data in g.nodes(data=True):
        if data["kind"] == "discard":
            twin = data["twin_of"]
            lines.append(
                f'  "{twin}" -> "{name}" [style=dotted, arrowhead=none, '
                f'id="{edge_id(twin, name)}"];'
            )
    if journey is not None:
        for a, b in journey_pairs(journey):
            colour = "#455a64" if highlight else "#eceff1"
            lines.append(
                f'  "{a}" -> "{b}" [id="hop-{a}--{b}", class="hop", color="{colour}", '
                f"penwidth={1.8 if highlight else 1.2}];"
            )
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
