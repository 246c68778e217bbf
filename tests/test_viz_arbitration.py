"""The arbitration picture of one classification, and the Jupyter display hooks."""

from __future__ import annotations

import shutil
import sys
import types
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from wfpsim import Callout, Engine, Filter, Sublayer
from wfpsim.objects import Action
from wfpsim.runner import run
from wfpsim.trace import Classification
from wfpsim.viz import arbitration_picture, display_hooks
from wfpsim.viz.hooks import classification_svg, engine_svg
from wfpsim.viz.svg import PALETTE

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' not installed")
SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"
LAYER = "ALE_AUTH_CONNECT_V4"


def classification(scenario: str, index: int) -> Classification:
    return run(scenario).classifications[index].classification


def elements(svg: str) -> dict[str, ET.Element]:
    """Every <g> with an id (nodes, clusters, edges), by id."""
    root = ET.fromstring(svg)
    return {g.get("id", ""): g for g in root.iter(f"{SVG}g") if g.get("id")}


def text(el: ET.Element) -> str:
    return "\n".join("".join(t.itertext()) for t in el.iter(f"{SVG}text"))


def top(el: ET.Element) -> float:
    return float(next(el.iter(f"{SVG}text")).get("y", "0"))


def classes(el: ET.Element) -> list[str]:
    return el.get("class", "").split()


def shapes(el: ET.Element) -> list[ET.Element]:
    return [s for s in el.iter() if s.tag in (f"{SVG}path", f"{SVG}polygon")]


def tooltips(el: ET.Element) -> str:
    return " ".join(a.get(f"{XLINK}title", "") for a in el.iter(f"{SVG}a"))


@needs_dot
def test_sublayers_in_evaluation_order_with_their_filters() -> None:
    """One box per sublayer, top to bottom in evaluation order, with weight and every filter."""
    c = classification("arbitration-example", 1)
    els = elements(arbitration_picture(c).svg)
    boxes = [els[f"sl-{i}"] for i in range(len(c.sublayers))]
    assert [top(b) for b in boxes] == sorted(top(b) for b in boxes)
    for i, sub in enumerate(c.sublayers):
        assert sub.name in text(boxes[i]) and f"{sub.weight:#06x}" in text(boxes[i])
        for step in sub.steps:
            assert step.name in text(els[f"step-{i}-{step.filter_id}"])
    assert top(els["input"]) < top(boxes[0]) and top(boxes[-1]) < top(els["verdict"])


@needs_dot
def test_deciding_filter_is_marked() -> None:
    """The filter that set the final action is bold, coloured and says so; the verdict names it."""
    c = classification("arbitration-example", 1)
    els = elements(arbitration_picture(c).svg)
    port80 = els["step-1-5"]
    assert {"decided", "final", "block"} <= set(classes(port80))
    assert "the final decision" in text(port80) and PALETTE[Action.BLOCK][0] in {
        s.get("fill") for s in shapes(port80)
    }
    assert any(s.get("stroke-width") == "3" for s in shapes(port80))
    iis = els["step-0-4"]  # decided too, but overridden later: not the final decision
    assert "decided" in classes(iis) and "final" not in classes(iis)
    verdict = text(els["verdict"])
    assert "BLOCK" in verdict and "'port80' in FW2" in verdict


@needs_dot
def test_no_match_is_grey_with_the_failed_condition() -> None:
    """A filter whose conditions failed is grey and names the failed condition."""
    els = elements(arbitration_picture(classification("weight-ranges", 1)).svg)
    step = els["step-0-1"]
    assert "no-match" in classes(step)
    assert "IP_REMOTE_ADDRESS == 10.10.0.0/16\nvalue seen: 203.0.113.9" in text(step)
    assert "10.10.0.0/16" in tooltips(step)
    assert "#f5f5f5" in {s.get("fill") for s in shapes(step)}


@needs_dot
def test_skipped_filters_are_dashed() -> None:
    """Filters after the sublayer's decision are skipped, drawn dashed."""
    els = elements(arbitration_picture(classification("weight-ranges", 0)).svg)
    for fid in (2, 3):
        step = els[f"step-0-{fid}"]
        assert "skipped" in classes(step) and "skipped" in text(step)
        assert any(s.get("stroke-dasharray") for s in shapes(step))


@needs_dot
def test_ignored_filter_is_struck_with_an_orange_note() -> None:
    """A block without the write right is struck through, with an orange 'ignored' note."""
    els = elements(arbitration_picture(classification("hard-permit-and-veto", 0)).svg)
    step = els["step-1-2"]
    assert "ignored" in classes(step) and "would BLOCK, but no write right" in text(step)
    struck = [t for t in step.iter(f"{SVG}text") if t.get("text-decoration") == "line-through"]
    assert struck and "block test net" in "".join(struck[0].itertext())
    assert "#ef6c00" in {s.get("stroke") for s in shapes(step)}


@needs_dot
def test_an_ignored_sublayer_result_is_not_drawn_as_a_verdict() -> None:
    """A sublayer whose block lacked the write right: its result box is orange, dashed, 'ignored'."""
    els = elements(arbitration_picture(classification("hard-permit-and-veto", 2)).svg)
    box = els["result-1"]
    assert "ignored" in classes(box) and "does not count" in text(box)
    strokes = {s.get("stroke") for s in shapes(box)}
    assert "#ef6c00" in strokes and PALETTE[Action.BLOCK][1] not in strokes
    assert any(s.get("stroke-dasharray") for s in shapes(box))
    assert "ignored" not in classes(els["result-2"])  # the veto's sublayer did count


@needs_dot
def test_veto_has_a_red_double_border() -> None:
    """The vetoing callout filter: red, two borders, labelled VETO; the verdict says VETO."""
    els = elements(arbitration_picture(classification("hard-permit-and-veto", 2)).svg)
    step = els["step-2-3"]
    assert {"veto", "final"} <= set(classes(step)) and "VETO" in text(step)
    red = [s for s in shapes(step) if s.get("stroke") == PALETTE[Action.BLOCK][1]]
    assert len(red) >= 2
    assert "VETO" in text(els["verdict"]) and "veto" in classes(els["verdict"])


@needs_dot
def test_continue_is_blue() -> None:
    """An inspection callout that says CONTINUE is blue and says what it returned."""
    els = elements(arbitration_picture(classification("arbitration-example", 0)).svg)
    step = els["step-1-2"]
    assert "continue" in classes(step) and "ids_callout → CONTINUE" in text(step)
    assert PALETTE[Action.CONTINUE][0] in {s.get("fill") for s in shapes(step)}


@needs_dot
def test_edges_carry_the_decision_and_the_write_right() -> None:
    """Between sublayers: the decision carried, soft (right kept) or hard (right cleared)."""
    els = elements(arbitration_picture(classification("arbitration-example", 1)).svg)
    assert "no decision yet · write right available" in text(els["carry-start"])
    assert "PERMIT · soft (write right kept)" in text(els["carry-0"])
    assert "BLOCK · hard (write right cleared)" in text(els["carry-1"])
    assert "from 'port80' in FW2" in text(els["carry-2"])  # the last one, into the verdict
    els = elements(arbitration_picture(classification("hard-permit-and-veto", 2)).svg)
    assert "PERMIT · hard (write right cleared)" in text(els["carry-1"])
    assert "Corporate firewall says" in text(els["result-1"]) and "BLOCK" in text(els["result-1"])


@needs_dot
def test_explanation_beside_the_verdict() -> None:
    """The plain-English explanation is a note level with the verdict."""
    c = classification("hard-permit-and-veto", 2)
    els = elements(arbitration_picture(c).svg)
    note = " ".join(text(els["explain"]).split())
    assert note.startswith("BLOCK by veto") and "classifyVetoCount" in note
    assert abs(top(els["explain"]) - top(els["verdict"])) < 60


@needs_dot
def test_unregistered_callout_filter_coloured_by_what_it_did() -> None:
    """An unregistered callout with PERMIT_IF_CALLOUT_UNREGISTERED decides PERMIT: green."""
    els = elements(arbitration_picture(classification("unregistered-callouts", 1)).svg)
    step = els["step-0-2"]
    assert "decided: PERMIT" in text(step)
    assert PALETTE[Action.PERMIT][0] in {s.get("fill") for s in shapes(step)}


@needs_dot
def test_faulting_callout_is_shown() -> None:
    """A callout that raised: the step says so, with the exception, and decides BLOCK."""

    def broken(*args: Any) -> None:
        raise RuntimeError("null pointer")

    engine = Engine()
    engine.add_callout(Callout("broken", LAYER))
    engine.register_callout("broken", broken)
    engine.add_sublayer(Sublayer("low", 1))
    engine.add_filter(Filter("uses broken", LAYER, "CALLOUT_INSPECTION", callout="broken"))
    els = elements(arbitration_picture(engine.classify(LAYER)).svg)
    step = els["step-0-1"]
    assert "fault" in classes(step) and "null pointer" in text(step)
    assert "BLOCK" in text(els["verdict"])


@needs_dot
def test_no_filters_at_the_layer() -> None:
    """Nothing to arbitrate: the input goes straight to the verdict."""
    els = elements(arbitration_picture(Engine().classify(LAYER)).svg)
    assert "NONE_NO_MATCH" in text(els["verdict"]) and "traffic passes" in text(els["verdict"])
    assert "no filters at this layer" in text(els["carry-start"])
    assert not any(i.startswith("sl-") for i in els)


def test_same_classification_same_dot() -> None:
    """Deterministic: the same scenario run twice gives the same DOT text."""
    first = arbitration_picture(classification("hard-permit-and-veto", 2)).source
    assert arbitration_picture(classification("hard-permit-and-veto", 2)).source == first


@needs_dot
def test_png_signature(tmp_path: Path) -> None:
    """The arbitration picture saves as a real PNG."""
    path = arbitration_picture(classification("arbitration-example", 1)).save(tmp_path / "a.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------- display hooks
def test_display_hooks_do_nothing_outside_ipython(monkeypatch) -> None:
    """No IPython running: display_hooks() is a no-op returning False."""
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    assert display_hooks() is False


@needs_dot
def test_display_hooks_register_svg_formatters(monkeypatch) -> None:
    """Inside IPython: SVG formatters for Engine and Classification are registered."""
    registered: dict[type, Any] = {}
    formatter = types.SimpleNamespace(for_type=lambda cls, fn: registered.__setitem__(cls, fn))
    shell = types.SimpleNamespace(
        display_formatter=types.SimpleNamespace(formatters={"image/svg+xml": formatter})
    )
    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: shell  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", fake)
    assert display_hooks() is True
    assert registered == {Engine: engine_svg, Classification: classification_svg}
    c = classification("arbitration-example", 1)
    assert 'id="verdict"' in registered[Classification](c)
    assert 'id="weights"' in registered[Engine](run("arbitration-example").engine)
