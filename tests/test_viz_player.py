"""The packet player widget, driven through its model: stepping, frames, inspector, challenge."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from typing import Any

import pytest

import wfpsim.viz.player
import wfpsim.viz.svg as svg
from wfpsim import Condition, Engine, Filter, Sublayer
from wfpsim.errors import InvalidParameterError
from wfpsim.runner import run
from wfpsim.stack import Journey, Stack
from wfpsim.viz import frames
from wfpsim.viz.player import judge, normalize, player

pytest.importorskip("anywidget")
pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")

SYN_OUT = 4  # OUTBOUND_TRANSPORT_V4, SYN: PERMIT by 'web ok'


@pytest.fixture(scope="module")
def engine() -> Engine:
    e = Engine()
    e.add_sublayer(Sublayer("my product", weight=0x100))
    port = "IP_REMOTE_PORT"
    layer = "OUTBOUND_TRANSPORT_V4"
    e.add_filter(
        Filter("web ok", layer, "PERMIT", [Condition(port, "EQUAL", 80)], sublayer="my product")
    )
    e.add_filter(
        Filter("no telnet", layer, "BLOCK", [Condition(port, "EQUAL", 23)], sublayer="my product")
    )
    return e


@pytest.fixture(scope="module")
def web(engine: Engine) -> Journey:
    return Stack(engine).run("tcp", "outbound", "10.0.0.5:0", "93.184.216.34:80", payload=["GET /"])


@pytest.fixture(scope="module")
def telnet(engine: Engine) -> Journey:
    return Stack(engine).run("tcp", "outbound", "10.0.0.5:0", "93.184.216.34:23")


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts the Graphviz runs (svg.run_dot is the only function that runs dot)."""
    runs = {"dot": 0}
    real = svg.run_dot

    def counting(*args: Any, **kwargs: Any) -> bytes:
        runs["dot"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(svg, "run_dot", counting)
    return runs


def svg_ids(text: str) -> set[str]:
    return {e.get("id") or "" for e in ET.fromstring(text).iter()} - {""}


def test_step_back_reset_and_goto_stay_in_bounds(web: Journey) -> None:
    """step/back stop at the ends, goto checks the range, reset returns to the start."""
    p = player(web)
    assert len(p) == len(web.steps) and p.position == 0
    p.back()
    assert p.position == 0
    p.step()
    p.step()
    assert p.position == 2 and p.frame["position"] == 2
    p.goto(len(p) - 1)
    p.step()
    assert p.position == len(p) - 1
    for bad in (-1, len(p)):
        with pytest.raises(
            InvalidParameterError, match=rf"position {bad}; valid: 0\.\.{len(p) - 1}"
        ):
            p.goto(bad)
    p.reset()
    assert p.position == 0 and p.frame["position"] == 0 and not p.playing


def test_each_step_sends_a_new_frame(web: Journey) -> None:
    """Stepping changes the highlighted node, the hop and the inspector."""
    p = player(web)
    p.goto(3)
    before = p.frame
    p.step()
    after = p.frame
    assert before["node"] == "layer-ALE_AUTH_CONNECT_V4"
    assert after["node"] == "layer-OUTBOUND_TRANSPORT_V4"
    assert after["hop"] == "hop-ALE_AUTH_CONNECT_V4--OUTBOUND_TRANSPORT_V4"
    assert after["marks"][after["node"]] == "cur permit"
    assert after["marks"]["layer-ALE_AUTH_CONNECT_V4"] == "seen none"
    assert before["inspector"] != after["inspector"]
    assert after["label"] == "#4 OUTBOUND_TRANSPORT_V4 · SYN · PERMIT"


def test_every_highlighted_id_exists_in_the_svg(web: Journey, telnet: Journey) -> None:
    """The ids a frame restyles are all in the SVG laid out once (several journeys too)."""
    p = player([web, telnet])
    ids = svg_ids(p.svg)
    for i in range(len(p)):
        p.goto(i)
        missing = set(p.frame["marks"]) - ids
        assert not missing, (i, missing)


def test_inspector_shows_fields_metadata_and_layer_data(web: Journey) -> None:
    """Layer and run-time id, host-order and dotted address, metadata, hex dump, data offset."""
    p = player(web)
    p.goto(SYN_OUT)
    html = p.frame["inspector"]
    assert "OUTBOUND_TRANSPORT_V4" in html and "run-time id 16" in html
    assert "FWPS_<wbr>FIELD_<wbr>OUTBOUND_<wbr>TRANSPORT_<wbr>V4_<wbr>…" in html
    assert "<td>IP_REMOTE_ADDRESS</td>" in html
    address = "<td>1572395042 <i>0x5db8d822</i></td><td>93.184.216.34</td>"
    assert address in html  # host order: the integer, its hex digits, the dotted form
    assert "<td>80 <i>0x0050</i></td>" in html
    assert "FWPS_METADATA_<wbr>FIELD_…" in html and "<td>TRANSPORT_HEADER_SIZE</td>" in html
    assert "0000  45 00 00 28" in html  # the hex dump of the SYN
    assert "<b>                  ^ DataOffset at this layer (20) (offset 20)</b>" in html
    assert "<td>dport</td><td>22</td><td>2</td><td>80</td>" in html  # decoded header fields


def test_inspector_shows_the_arbitration_and_classify_out(web: Journey) -> None:
    """The decision part: sublayer, filter effects, classify_out and the explanation."""
    p = player(web)
    p.goto(SYN_OUT)
    html = p.frame["decision"]
    assert 'class="w-t w-arb"' in html
    assert "my product (weight 256) → PERMIT by web ok; carried: soft PERMIT" in html
    assert "<b>web ok</b>" in html and "set the decision" in html
    assert "<b>no telnet</b>" in html and "not evaluated: an earlier filter" in html
    assert "FWP_ACTION_PERMIT (0x1002)" in html and "FWPS_RIGHT_ACTION_WRITE kept" in html
    assert "PERMIT by &#x27;web ok&#x27; in my product" in html


def test_every_frame_is_a_few_kilobytes(web: Journey, telnet: Journey) -> None:
    """Per step only a small frame goes to the browser (the SVG is sent once)."""
    sizes = [len(json.dumps(f)) for f in frames.frames([web, telnet])]
    assert max(sizes) < 8 * 1024


def test_stepping_never_runs_graphviz(web: Journey, counted: dict[str, int]) -> None:
    """Graphviz lays the map out once; stepping through every frame runs it zero times."""
    p = player(web)
    assert counted["dot"] == 1
    for _ in range(len(p)):
        p.step()
    p.back()
    p.goto(0)
    assert counted["dot"] == 1


def test_challenge_hides_the_verdict_until_answered(web: Journey) -> None:
    """In challenge mode the verdict is hidden, then revealed and scored by answer()."""
    p = player(web, challenge=True)
    p.goto(SYN_OUT)
    f = p.frame
    assert f["hidden"] and not p.revealed and f["verdict"] == "?"
    assert f["result"] == "unknown" and f["marks"][f["node"]] == "cur unknown"
    assert f["label"].endswith("· ?") and "web ok" not in f["decision"]
    assert "accept" not in f and "outcome" not in f
    text = p.answer("BLOCK")
    assert text.startswith("Not quite: you predicted BLOCK. What happened: PERMIT by 'web ok'")
    assert p.score == {"asked": 1, "right": 0}
    assert p.revealed and p.frame["verdict"] == "PERMIT" and p.frame["feedback"] == text
    assert "web ok" in p.frame["decision"]
    p.answer("PERMIT")  # a second answer to the same step does not count
    assert p.score == {"asked": 1, "right": 0}
    p.step()
    assert p.frame["hidden"]
    assert p.answer("none").startswith("Right!")
    assert p.score == {"asked": 2, "right": 1}
    p.back()
    assert not p.frame["hidden"]  # answered steps stay revealed
    p.reset()
    assert p.score == {"asked": 0, "right": 0} and p.position == 0 and p.frame["hidden"]


def test_challenge_can_be_turned_on_and_off(web: Journey) -> None:
    """Switching challenge mode re-sends the current frame, hidden or not."""
    p = player(web)
    p.goto(SYN_OUT)
    assert not p.frame["hidden"]
    p.challenge = True
    assert p.frame["hidden"]
    p.challenge = False
    assert not p.frame["hidden"] and p.frame["verdict"] == "PERMIT"


def test_discard_steps_accept_drop() -> None:
    """At a discard layer, DROP is a right prediction (and so is what its filters returned)."""
    journey = run("closed-ports").traffic[0].journey
    at = next(i for i, s in enumerate(journey.steps) if s.is_discard)
    full = frames.frame(journey, at)
    assert full["result"] == "discard" and "DROP" in full["accept"]
    assert full["verdict"] == "BLOCK"  # stealth mode: the filter there suppresses the RST
    assert judge(full, "drop")[0] and judge(full, "BLOCK")[0] and not judge(full, "PERMIT")[0]
    assert "discard layer" in full["outcome"]


def test_unknown_predictions_are_refused() -> None:
    """A prediction that is none of the valid words names the valid ones."""
    assert normalize("fwp_action_permit") == "PERMIT"
    with pytest.raises(InvalidParameterError, match="prediction 'ALLOW'; valid: PERMIT"):
        normalize("ALLOW")


def test_several_journeys_play_one_after_the_other(web: Journey, telnet: Journey) -> None:
    """Positions index a flat list of (journey, step); the event list groups the journeys."""
    p = player([web, telnet])
    assert len(p) == len(web.steps) + len(telnet.steps)
    assert [e["journey"] for e in p.events].count(1) == len(telnet.steps)
    assert p.events[len(web.steps)]["title"] == "TCP outbound 10.0.0.5:0 → 93.184.216.34:23"
    p.goto(len(web.steps))
    f = p.frame
    assert (f["journey"], f["step"], f["hop"]) == (1, 0, "")
    assert f["marks"] == {"layer-ALE_BIND_REDIRECT_V4": "cur none"}  # a fresh trail
    p.goto(len(web.steps) + 4)
    assert p.frame["marks"]["layer-OUTBOUND_TRANSPORT_V4"] == "cur block"


def test_mixing_ipv4_and_ipv6_is_refused(web: Journey) -> None:
    """One stack map shows one IP version."""
    six = Stack(Engine()).run("tcp", "outbound", "[2001:db8::5]:0", "[2001:db8::1]:80")
    assert frames.ip_version(six) == 6
    with pytest.raises(InvalidParameterError, match=r"mix IPv4 .* and IPv6"):
        player([web, six])
    with pytest.raises(InvalidParameterError, match="valid: a Journey or a non-empty list"):
        player([])


def test_browser_messages_drive_the_model(web: Journey) -> None:
    """The front end sets position and sends answer/reset messages; the kernel follows."""
    p = player(web, challenge=True)

    def update(state: dict[str, Any]) -> None:
        p._handle_msg({"content": {"data": {"method": "update", "state": state}}, "buffers": []})

    def custom(content: dict[str, Any]) -> None:
        p._handle_msg(
            {"content": {"data": {"method": "custom", "content": content}}, "buffers": []}
        )

    update({"position": SYN_OUT})
    assert p.frame["position"] == SYN_OUT and p.frame["hidden"]
    custom({"cmd": "answer", "prediction": "PERMIT"})
    assert p.score == {"asked": 1, "right": 1} and not p.frame["hidden"]
    update({"position": 10_000})  # out of range from the browser: clamped
    assert p.position == len(p) - 1
    custom({"cmd": "reset"})
    assert p.position == 0 and p.score == {"asked": 0, "right": 0}


def test_play_and_pause(web: Journey) -> None:
    """play() asks the browser to play (from the start when at the end); pause() stops."""
    p = player(web, speed=4)
    assert p.speed == 4.0
    p.goto(len(p) - 1)
    p.play()
    assert p.playing and p.position == 0
    p.pause()
    assert not p.playing
    with pytest.raises(InvalidParameterError, match="speed 0; valid"):
        player(web, speed=0)


def test_it_displays_as_a_widget_in_jupyterlab(web: Journey) -> None:
    """The MIME bundle is a widget view; the SVG and events are part of the state sent once."""
    p = player(web)
    assert isinstance(p, wfpsim.viz.player.Player)
    bundle = p._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == p.model_id
    assert data["text/plain"].startswith("<Player: 26 steps of 1 journey(s)")
    state = p.get_state()
    assert state["svg"].startswith("<svg") and len(state["events"]) == len(p)
    assert "export default" in state["_esm"] and ".wfp-player" in state["_css"]


def test_importing_the_player_loads_no_widget_library() -> None:
    """import wfpsim.viz.player / export / frames stays light: anywidget comes on first use."""
    code = (
        "import sys, wfpsim.viz.player, wfpsim.viz.export, wfpsim.viz.frames; "
        "print([m for m in ('anywidget', 'ipywidgets', 'traitlets') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
