"""The weight graph, the Picture it returns, and `wfpsim draw`: checked on the rendered SVG."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from wfpsim import Callout, Condition, Engine, Filter, Sublayer
from wfpsim.errors import InvalidParameterError, SublayerNotFoundError, WfpError
from wfpsim.objects import Action
from wfpsim.runner import run
from wfpsim.viz import svg as svg_module
from wfpsim.viz.cli import draw_command
from wfpsim.viz.svg import PALETTE, GraphvizError, Picture
from wfpsim.viz.weights import weight_graph

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' not installed")
SVG = "{http://www.w3.org/2000/svg}"
LAYER = "ALE_AUTH_CONNECT_V4"


# ---------------------------------------------------------------- reading the SVG
def elements(svg: str) -> dict[str, ET.Element]:
    """Every <g> with an id (nodes, clusters, edges), by id."""
    root = ET.fromstring(svg)
    return {g.get("id", ""): g for g in root.iter(f"{SVG}g") if g.get("id")}


def text(el: ET.Element) -> str:
    """All the text drawn inside an element, one line per <text>."""
    return "\n".join("".join(t.itertext()) for t in el.iter(f"{SVG}text"))


def top(el: ET.Element) -> float:
    """The y of the element's first text line (SVG y grows downwards)."""
    return float(next(el.iter(f"{SVG}text")).get("y", "0"))


def left(el: ET.Element) -> float:
    return float(next(el.iter(f"{SVG}text")).get("x", "0"))


def fills(el: ET.Element) -> set[str]:
    return {s.get("fill", "") for s in el.iter() if s.tag in (f"{SVG}path", f"{SVG}polygon")}


def big_engine(count: int = 1200) -> Engine:
    """One sublayer with `count` filters: PERMIT, BLOCK, PERMIT, inspection, …; one small sublayer."""
    engine = Engine()
    engine.add_sublayer(Sublayer("big product", weight=0x500))
    engine.add_sublayer(Sublayer("small product", weight=0x400))
    engine.add_callout(Callout("logger", LAYER))
    actions = ["PERMIT", "BLOCK", "PERMIT", "CALLOUT_INSPECTION"]
    for i in range(count):
        engine.add_filter(
            Filter(
                f"rule {i}",
                LAYER,
                actions[i % 4],
                [Condition("IP_REMOTE_PORT", "EQUAL", i)],
                sublayer="big product",
                callout="logger" if i % 4 == 3 else None,
                weight=i,
            )
        )
    engine.add_filter(Filter("block ssh", LAYER, "BLOCK", sublayer="small product"))
    return engine


# ---------------------------------------------------------------- the weight graph
@needs_dot
def test_every_layer_sublayer_and_filter_is_shown() -> None:
    """layer=None draws each layer with filters, its sublayers and all its filters, by id."""
    engine = run("arbitration-example").engine
    els = elements(weight_graph(engine).svg)
    for la in ("INBOUND_TRANSPORT_V4", "ALE_AUTH_RECV_ACCEPT_V4"):
        assert la in text(els[f"layer-{la}"])
    for la, sub in [
        ("INBOUND_TRANSPORT_V4", "SL1"),
        ("INBOUND_TRANSPORT_V4", "SL2"),
        ("ALE_AUTH_RECV_ACCEPT_V4", "FW1"),
        ("ALE_AUTH_RECV_ACCEPT_V4", "FW2"),
        ("ALE_AUTH_RECV_ACCEPT_V4", "LOGGING"),
    ]:
        assert sub in text(els[f"sl-{la}-{sub.lower()}"])
    for flt in engine.filters():
        assert flt.name in text(els[f"f-{flt.filter_id}"])
    assert "sl-ALE_AUTH_RECV_ACCEPT_V4-fwpm-sublayer-universal" not in els  # holds no filter


@needs_dot
def test_filters_top_to_bottom_by_effective_weight() -> None:
    """Inside a sublayer the highest effective weight is drawn first (highest up)."""
    engine = run("weight-ranges").engine
    pic = weight_graph(engine, "ALE_AUTH_RECV_ACCEPT_V4")
    els = elements(pic.svg)
    ids = [f"f-{f.filter_id}" for f in engine.filters("ALE_AUTH_RECV_ACCEPT_V4")]
    assert [top(els[i]) for i in ids] == sorted(top(els[i]) for i in ids)
    assert [pic.source.index(f'id="{i}"') for i in ids] == sorted(
        pic.source.index(f'id="{i}"') for i in ids
    )
    sublayer = els["sl-ALE_AUTH_RECV_ACCEPT_V4-fwpm-sublayer-universal"]
    assert top(sublayer) < top(els[ids[0]])


@needs_dot
def test_sublayers_left_to_right_by_weight() -> None:
    """Sublayers are columns, highest weight on the left, each saying where it comes."""
    els = elements(weight_graph(run("arbitration-example").engine, "ALE_AUTH_RECV_ACCEPT_V4").svg)
    columns = [els[f"sl-ALE_AUTH_RECV_ACCEPT_V4-{n}"] for n in ("fw1", "fw2", "logging")]
    assert [left(c) for c in columns] == sorted(left(c) for c in columns)
    assert "weight 0x0300 (768)" in text(columns[0]) and "evaluated 1st" in text(columns[0])
    assert "evaluated 3rd" in text(columns[2])


@needs_dot
def test_weights_printed_in_hex_and_as_given() -> None:
    """A filter shows its effective weight in hex and the weight it was given."""
    engine = run("weight-ranges").engine
    els = elements(weight_graph(engine).svg)
    assert "0x2010000000000000" in text(els["f-1"]) and "FWP_UINT8 0x2" in text(els["f-1"])
    assert "FWP_EMPTY" in text(els["f-3"])
    assert "IP_REMOTE_ADDRESS == 10.10.0.0/16" in text(els["f-1"])


@needs_dot
def test_builtin_and_added_sublayers_are_marked() -> None:
    """Sublayer headers say built-in or added (and carry it as an SVG class)."""
    engine = run("weight-ranges").engine
    engine.add_sublayer(Sublayer("mine", weight=0x10))
    engine.add_filter(Filter("x", "ALE_AUTH_RECV_ACCEPT_V4", "BLOCK", sublayer="mine"))
    els = elements(weight_graph(engine).svg)
    universal = els["sl-ALE_AUTH_RECV_ACCEPT_V4-fwpm-sublayer-universal"]
    mine = els["sl-ALE_AUTH_RECV_ACCEPT_V4-mine"]
    assert "built-in sublayer" in text(universal) and "built-in" in universal.get("class", "")
    assert "added sublayer" in text(mine) and "added" in mine.get("class", "")


@needs_dot
def test_filters_coloured_by_action_with_a_legend() -> None:
    """Permit green, block red, inspection blue, terminating orange; the legend says so."""
    engine = run("arbitration-example").engine
    engine.add_callout(Callout("term", LAYER))
    engine.add_filter(Filter("terminator", LAYER, "CALLOUT_TERMINATING", callout="term"))
    els = elements(weight_graph(engine).svg)
    expected = {1: Action.PERMIT, 5: Action.BLOCK, 2: Action.CALLOUT_INSPECTION}
    expected[engine.filter("terminator").filter_id] = Action.CALLOUT_TERMINATING
    for fid, action in expected.items():
        node = els[f"f-{fid}"]
        assert PALETTE[action][0] in fills(node)
        assert action.name.lower().replace("_", "-") in node.get("class", "").split()
    legend = text(els["legend"])
    for words in ("PERMIT (green)", "BLOCK (red)", "(orange)", "inspection (blue)"):
        assert words in legend


@needs_dot
def test_callout_filters_name_their_callout_and_registration() -> None:
    """A callout filter shows the callout's name, and 'not registered' when it is not."""
    els = elements(weight_graph(run("unregistered-callouts").engine).svg)
    assert "parental control" in text(els["f-1"]) and "not registered" in text(els["f-1"])
    els = elements(weight_graph(run("arbitration-example").engine).svg)
    assert "ids_callout" in text(els["f-2"]) and "not registered" not in text(els["f-2"])


@needs_dot
def test_big_sublayer_collapses_into_one_box_per_action() -> None:
    """1,200 filters: the first max_filters are drawn, the rest as '+N more ACTION filters'."""
    engine = big_engine()
    els = elements(weight_graph(engine, LAYER, max_filters=40).svg)
    drawn = [i for i in els if i.startswith("f-")]
    assert len(drawn) == 40 + 1  # plus 'block ssh' in the small sublayer
    base = "more-ALE_AUTH_CONNECT_V4-big-product"
    counts = {"PERMIT": 580, "BLOCK": 290, "CALLOUT_INSPECTION": 290}
    more = sorted(i for i in els if i.startswith("more-"))
    assert more == sorted(f"{base}-{a}" for a in counts)
    for action, n in counts.items():
        assert f"+{n} more {action} filters" in text(els[f"{base}-{action}"])
    hidden_top = min(top(els[i]) for i in more)
    assert all(top(els[i]) < hidden_top for i in drawn if i != "f-1201")


def test_expand_draws_a_sublayer_in_full() -> None:
    """expand (by name or by key) lifts the limit for that sublayer only."""
    engine = big_engine(300)
    source = weight_graph(engine, LAYER, max_filters=5, expand=["big product"]).source
    assert source.count('class="filter ') == 301 and "more-" not in source
    key = engine.sublayer("big product").key
    assert weight_graph(engine, LAYER, max_filters=5, expand=[key]).source == source
    collapsed = weight_graph(engine, LAYER, max_filters=5, expand=["small product"]).source
    assert collapsed.count('class="filter ') == 6


@needs_dot
def test_expand_renders_1200_filters() -> None:
    """Even fully expanded, 1,200 filters render to SVG (and quickly)."""
    engine = big_engine()
    els = elements(weight_graph(engine, LAYER, expand=["big product"]).svg)
    assert sum(i.startswith("f-") for i in els) == 1201


def test_search_keeps_matching_filters_case_insensitively() -> None:
    """search matches names and condition text, any case; sublayers left empty vanish."""
    engine = run("arbitration-example").engine
    source = weight_graph(engine, search="LOCAL_PORT").source
    assert 'id="f-5"' in source
    assert 'id="f-4"' not in source and 'id="sl-ALE_AUTH_RECV_ACCEPT_V4-fw1"' not in source
    assert 'id="layer-INBOUND_TRANSPORT_V4"' not in source
    assert 'id="f-4"' in weight_graph(engine, search="iis.EXE").source
    assert "no filter matches" in weight_graph(engine, search="nothing like it").source


def test_layer_and_sublayer_arguments_narrow_the_graph() -> None:
    """layer= draws one layer; sublayer= one sublayer."""
    engine = run("arbitration-example").engine
    one = weight_graph(engine, "INBOUND_TRANSPORT_V4").source
    assert 'id="layer-INBOUND_TRANSPORT_V4"' in one and "ALE_AUTH_RECV_ACCEPT_V4" not in one
    fw2 = weight_graph(engine, sublayer="FW2").source
    assert 'id="f-5"' in fw2 and 'id="f-4"' not in fw2 and 'id="f-1"' not in fw2


def test_empty_layer_shows_every_sublayer() -> None:
    """A layer without filters shows all sublayers in order; an empty engine says so."""
    engine = Engine()
    source = weight_graph(engine, LAYER).source
    found = [source.index(f"<B>{s.name}</B>") for s in engine.sublayers()]
    assert len(found) == len(engine.sublayers()) > 10 and found == sorted(found)
    assert f'id="sl-{LAYER}-fwpm-sublayer-universal"' in source
    assert "the engine has no filters" in weight_graph(engine).source


def test_same_input_same_dot() -> None:
    """Deterministic: two engines built from the same scenario give the same DOT text."""
    first = weight_graph(run("arbitration-example").engine).source
    assert weight_graph(run("arbitration-example").engine).source == first


def test_bad_arguments_raise_wfp_errors() -> None:
    """Bad max_filters or an unknown expand name: a WfpError naming the value."""
    engine = run("arbitration-example").engine
    with pytest.raises(InvalidParameterError, match="max_filters=-1"):
        weight_graph(engine, max_filters=-1)
    with pytest.raises(SublayerNotFoundError):
        weight_graph(engine, expand=["no such sublayer"])


# ---------------------------------------------------------------- Picture
@needs_dot
def test_picture_renders_once_and_saves_by_suffix(tmp_path: Path, monkeypatch) -> None:
    """dot runs once for the SVG; .svg, .png and .dot are written; PNG has its signature."""
    calls: list[str] = []
    real = svg_module.run_dot

    def counting(source: str, fmt: str, *extra: str) -> bytes:
        calls.append(fmt)
        return real(source, fmt, *extra)

    monkeypatch.setattr(svg_module, "run_dot", counting)
    pic = weight_graph(run("weight-ranges").engine)
    assert pic._repr_svg_() == pic.svg and calls == ["svg"]
    pic.save(tmp_path / "g.svg")
    assert calls == ["svg"]
    assert ET.fromstring((tmp_path / "g.svg").read_text()).tag == f"{SVG}svg"
    pic.save(tmp_path / "g.png")
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pic.save(tmp_path / "g.dot")
    assert (tmp_path / "g.dot").read_text() == pic.source


def test_picture_rejects_an_unknown_suffix(tmp_path: Path) -> None:
    """save() names the bad suffix and the valid ones."""
    with pytest.raises(InvalidParameterError, match=r"'\.gif'.*\.svg, \.png, \.dot"):
        Picture("digraph {}").save(tmp_path / "g.gif")


def test_missing_dot_says_what_to_install(monkeypatch) -> None:
    """Without the dot program: a WfpError telling apt and conda users what to install."""
    monkeypatch.delenv("WFPSIM_DOT", raising=False)
    monkeypatch.setattr(svg_module.shutil, "which", lambda name: None)
    with pytest.raises(GraphvizError, match="apt-get install graphviz") as err:
        _ = Picture("digraph {}").svg
    assert isinstance(err.value, WfpError) and "conda" in str(err.value)


# ---------------------------------------------------------------- wfpsim draw
@needs_dot
def test_draw_command_writes_the_file(tmp_path: Path, capsys) -> None:
    """`wfpsim draw NAME --layer L --out F.png` writes a PNG and says so."""
    out = tmp_path / "weights.png"
    assert draw_command("arbitration-example", "ALE_AUTH_RECV_ACCEPT_V4", str(out)) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert str(out) in capsys.readouterr().out


def test_draw_command_bad_input_is_status_2(tmp_path: Path, capsys) -> None:
    """A bad suffix, scenario or layer: exit status 2 and the reason on stderr."""
    assert draw_command("arbitration-example", None, str(tmp_path / "x.gif")) == 2
    assert draw_command("no-such-scenario", None, str(tmp_path / "x.svg")) == 2
    assert draw_command("arbitration-example", "NO_LAYER", str(tmp_path / "x.dot")) == 2
    err = capsys.readouterr().err
    assert "'.gif'" in err and "no-such-scenario" in err and "NO_LAYER" in err


# ---------------------------------------------------------------- house rules
def test_import_viz_loads_no_drawing_library() -> None:
    """`import wfpsim.viz` imports neither graphviz nor networkx nor ipywidgets."""
    code = "import sys, json, wfpsim.viz; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = {m.split(".")[0] for m in json.loads(out.stdout)}
    assert not loaded & {"graphviz", "networkx", "ipywidgets", "anywidget", "IPython"}
