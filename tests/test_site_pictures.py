"""Pictures without ``dot`` (the browser classroom): the DOT goes to the page as a widget."""

from __future__ import annotations

import pytest

from wfpsim import Condition, Engine, Filter
from wfpsim.stack import Stack
from wfpsim.viz import arbitration_picture, weight_graph
from wfpsim.viz import svg as svg_module
from wfpsim.viz.browser import DRAWING_ESM, GRAPHVIZ_JS, VIZ_PATH
from wfpsim.viz.export import ESM
from wfpsim.viz.svg import GraphvizError, Picture, dot_available

pytest.importorskip("anywidget")
VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture
def no_dot(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in the browser: no dot program to run."""
    monkeypatch.setenv("WFPSIM_DOT", svg_module.PAGE)


def data(bundle: object) -> dict:
    """The data part of a mime bundle (widgets may return (data, metadata))."""
    return bundle[0] if isinstance(bundle, tuple) else bundle  # type: ignore[return-value]


def engine() -> Engine:
    e = Engine()
    e.add_filter(
        Filter(
            "no telnet", "ALE_AUTH_CONNECT_V4", "BLOCK", [Condition("IP_REMOTE_PORT", "EQUAL", 23)]
        )
    )
    return e


def test_without_dot_a_picture_is_a_widget_carrying_its_dot(no_dot: None) -> None:
    """The bundle is a widget view whose model holds the very DOT text; no SVG is claimed."""
    from wfpsim.viz.widgets import Drawing

    assert not dot_available()
    pic = weight_graph(engine())
    assert pic._repr_svg_() is None
    assert VIEW in data(pic._repr_mimebundle_())
    drawing = pic.drawing()
    assert isinstance(drawing, Drawing)
    assert drawing.dot == pic.source and "digraph" in drawing.dot
    assert "wfpGraphviz" in drawing.get_state()["_esm"]


def test_without_dot_the_arbitration_picture_also_goes_to_the_page(no_dot: None) -> None:
    """The arbitration picture of a classification becomes a widget view too."""
    c = engine().classify("ALE_AUTH_CONNECT_V4", {"IP_REMOTE_PORT": 23})
    assert VIEW in data(arbitration_picture(c)._repr_mimebundle_())


def test_without_dot_svg_text_says_why_it_is_missing(no_dot: None) -> None:
    """.svg needs the program: the error says the page draws it and .dot files still work."""
    with pytest.raises(GraphvizError, match=r"WebAssembly Graphviz.*save\(\.\.\.'\.dot'\)"):
        _ = Picture("digraph { a -> b }").svg


def test_without_dot_the_player_sends_its_stack_map_as_dot(no_dot: None) -> None:
    """The player's map is laid out in the page: `dot` is set, `svg` empty, frames as usual."""
    from wfpsim.viz.player import player

    journey = Stack(engine()).run("tcp", "outbound", "10.0.0.5:0", "93.184.216.34:23")
    p = player(journey)
    assert p.svg == "" and p.dot.startswith("digraph") and "layer-ALE_AUTH_CONNECT_V4" in p.dot
    p.step()
    assert p.frame["position"] == 1


def test_with_dot_pictures_stay_svg() -> None:
    """With the program, the Jupyter display is the SVG itself (no widget)."""
    if not dot_available():
        pytest.skip("needs Graphviz's dot")
    pic = weight_graph(engine())
    assert pic._repr_mimebundle_() is None and pic._repr_svg_().lstrip().startswith("<")


def test_the_page_finds_graphviz_on_the_site() -> None:
    """Both widget modules load Graphviz from the site path scripts/site fills."""
    assert f'"{VIZ_PATH}"' in GRAPHVIZ_JS
    assert GRAPHVIZ_JS in ESM and GRAPHVIZ_JS in DRAWING_ESM
