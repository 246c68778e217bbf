"""Drilling down from the machine overview to one layer in a notebook (machine_explorer)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from wfpsim.errors import InvalidParameterError
from wfpsim.netsh import load_netsh
from wfpsim.viz.overview import machine_explorer

pytest.importorskip("ipywidgets")
pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")

DUMP = Path(__file__).resolve().parent.parent / "notebooks" / "data" / "fanyi_wfpstate.xml"


@pytest.fixture(scope="module")
def explorer() -> Any:
    engine, _report = load_netsh(DUMP)
    return machine_explorer(engine)


def test_it_shows_the_overview_and_lists_every_layer_with_filters(explorer: Any) -> None:
    """The overview SVG comes first; the list holds every layer with filters and its count,
    and the busiest layer is drawn at the start."""
    overview = explorer.children[1].value
    assert overview.startswith("<?xml") or "<svg" in overview
    assert "200 filters on 12 layers" in overview
    labels = [label for label, _ in explorer.layers.options]
    assert len(labels) == 12 and "ALE_AUTH_CONNECT_V4 (52)" in labels
    assert explorer.layers.value == "FWPM_LAYER_ALE_AUTH_CONNECT_V4"
    assert "ALE_AUTH_CONNECT_V4" in explorer.picture.source
    assert "<svg" in explorer.detail.children[0].value


def test_clicking_a_layer_draws_its_weight_graph(explorer: Any) -> None:
    """Choosing a layer in the list (what a click does) redraws the detail with that layer's
    weight graph and offers its sublayers."""
    explorer.layers.value = "FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V4"
    assert "ALE_AUTH_RECV_ACCEPT_V4" in explorer.picture.source
    assert "ALE_AUTH_CONNECT_V4" not in explorer.picture.source
    subs = [label for label, _ in explorer.sublayers.options]
    assert subs[1:] == [
        "FWPM_SUBLAYER_MPSSVC_APP_ISOLATION",
        "FWPM_SUBLAYER_MPSSVC_WSH",
        "FWPM_SUBLAYER_MPSSVC_WF",
    ]
    whole = explorer.picture.source
    narrow = explorer.select("ALE_AUTH_RECV_ACCEPT_V4", "FWPM_SUBLAYER_MPSSVC_WF").source
    assert len(narrow) < len(whole) and "AppContainerBoottimeFilter" in narrow
    assert explorer.detail.children[0].value == explorer.picture.svg


def test_a_layer_without_filters_is_refused_with_the_valid_ones(explorer: Any) -> None:
    """Asking for a layer or sublayer that holds no filter names the valid choices."""
    with pytest.raises(InvalidParameterError, match=r"holds no filter.*ALE_AUTH_CONNECT_V4"):
        explorer.select("INBOUND_IPPACKET_V4")
    with pytest.raises(InvalidParameterError, match="valid: NsrSubLayer"):
        explorer.select("STREAM_V4", "FWPM_SUBLAYER_MPSSVC_WSH")
