"""The stack map: documented paths as a graph, a journey highlighted on it."""

import itertools
import xml.etree.ElementTree as ET

import pytest

from wfpsim import Engine
from wfpsim.stack import Stack
from wfpsim.viz.stackmap import PATHS, journey_pairs, node_id, stack_graph, stack_map

pytest.importorskip("networkx")
SVG = "{http://www.w3.org/2000/svg}"


def test_graph_has_the_documented_paths() -> None:
    """Every documented path is a chain of edges; discard twins hang off their layer."""
    g = stack_graph(4)
    for fams in PATHS.values():
        names = [
            f
            if f in ("APPLICATION", "NETWORK")
            else f.replace("_DISCARD", "_V4_DISCARD")
            if f.endswith("_DISCARD")
            else f + "_V4"
            for f in fams
        ]
        for a, b in itertools.pairwise(names):
            assert g.has_edge(a, b), (a, b)
    assert g.edges["ALE_AUTH_CONNECT_V4", "OUTBOUND_TRANSPORT_V4"]["paths"] == ["TCP client"]
    assert g.nodes["INBOUND_TRANSPORT_V4_DISCARD"]["twin_of"] == "INBOUND_TRANSPORT_V4"
    assert "ALE_AUTH_CONNECT_V6" in stack_graph(6)


def test_journey_highlighted_with_stable_ids() -> None:
    """Crossed layers are drawn with their step numbers; every layer node has its id."""
    j = Stack(Engine()).run("tcp", "inbound", "10.0.0.5:81", "203.0.113.9:5000", listening=False)
    svg = stack_map(j).svg
    root = ET.fromstring(svg)
    ids = {el.get("id") for el in root.iter(f"{SVG}g")}
    for layer in j.layers:
        assert node_id(layer) in ids
    assert {f"hop-{a}--{b}" for a, b in journey_pairs(j)} <= ids
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "#1" in texts and "inbound transport" in texts


def test_ipv6_journey_uses_v6_map() -> None:
    """A journey over IPv6 is drawn on the V6 layers."""
    j = Stack(Engine()).run("udp", "outbound", "[2001:db8::5]:0", "[2001:db8::53]:53")
    root = ET.fromstring(stack_map(j).svg)
    ids = {el.get("id") for el in root.iter(f"{SVG}g")}
    assert "layer-ALE_AUTH_CONNECT_V6" in ids and "layer-ALE_AUTH_CONNECT_V4" not in ids
