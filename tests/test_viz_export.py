"""Journeys exported as standalone HTML players, checked as files and in headless Chromium."""

from __future__ import annotations

import base64
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import chromium

from wfpsim import Condition, Engine, Filter
from wfpsim.errors import InvalidParameterError
from wfpsim.stack import Journey, Stack
from wfpsim.viz.export import ESM, animate_command, export_html, scenario_journey

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def journey() -> Journey:
    engine = Engine()
    engine.add_filter(
        Filter(
            "web ok", "ALE_AUTH_CONNECT_V4", "PERMIT", [Condition("IP_REMOTE_PORT", "EQUAL", 80)]
        )
    )
    stack = Stack(engine)
    return stack.run("tcp", "outbound", "10.0.0.5:0", "93.184.216.34:80", payload=["GET /"])


@pytest.fixture(scope="module")
def page_file(journey: Journey, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_html(journey, tmp_path_factory.mktemp("export") / "player.html")


def embedded_data(text: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="wfp-data">(.*?)</script>', text, re.S)
    assert match
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def test_the_export_is_one_standalone_file(page_file: Path, journey: Journey) -> None:
    """No external scripts, styles or fonts: the SVG once, every frame as JSON, the player code."""
    text = page_file.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert not re.search(r"<script[^>]+src=|<link\b|@import|url\(", text)
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", text)
    data = embedded_data(text)
    assert text.count("\\u003csvg") == 1 and data["svg"].startswith("<svg")  # in the JSON, once
    assert len(data["frames"]) == len(data["events"]) == len(journey.steps)
    assert data["frames"][3]["label"] == "#3 ALE_AUTH_CONNECT_V4 · connect() · PERMIT"
    assert "function wfpRender" in text and "function wfpStaticModel" in text


def test_export_checks_the_suffix(journey: Journey, tmp_path: Path) -> None:
    """Only .html / .htm files; missing folders are created."""
    with pytest.raises(InvalidParameterError, match=r"'\.svg'.*valid suffixes: \.html, \.htm"):
        export_html(journey, tmp_path / "player.svg")
    path = export_html(journey, tmp_path / "a" / "b" / "p.htm", title="<My> journey")
    assert "<title>&lt;My&gt; journey</title>" in path.read_text(encoding="utf-8")


def test_animate_command_exports_one_traffic_entry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`wfpsim animate FILE --traffic N --out OUT.html` writes the page and says so."""
    out = tmp_path / "kit.html"
    assert animate_command("starter-kit", 1, str(out)) == 0
    said = capsys.readouterr().out
    assert said.startswith(f"wrote {out}") and "93.184.216.34:80, 26 steps, verdict PERMIT" in said
    data = embedded_data(out.read_text(encoding="utf-8"))
    assert len(data["frames"]) == 26


def test_animate_command_explains_bad_traffic_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An index out of range, or a scenario without traffic: status 2 and what is valid."""
    out = str(tmp_path / "x.html")
    assert animate_command("starter-kit", 2, out) == 2
    said = capsys.readouterr().err
    assert "--traffic 2: starter-kit has 2 [[traffic]] entries; valid: 0..1" in said
    assert animate_command("arbitration-example", 0, out) == 2
    said = capsys.readouterr().err
    assert "no [[traffic]] entries" in said and "starter-kit" in said
    assert animate_command("no-such-scenario", 0, out) == 2
    assert "no such file and no built-in scenario" in capsys.readouterr().err
    with pytest.raises(InvalidParameterError, match=r"valid: 0\.\.1"):
        scenario_journey("starter-kit", -1)
    assert not Path(out).exists()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium, launched as every browser test does (tests/browser_helpers.py)."""
    with chromium() as launched:
        yield launched


def open_page(browser: Any, url: str) -> tuple[Any, list[str]]:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(url)
    return page, errors


def current(page: Any) -> tuple[str, str]:
    """The id of the highlighted layer node, and the inspector's heading."""
    node = page.get_attribute('.wfp-map g.node[data-w~="cur"]', "id")
    return node, page.inner_text(".wfp-insp .w-head")


@pytest.mark.browser
def test_the_exported_player_animates_in_chromium(browser: Any, page_file: Path) -> None:
    """Step and play change the highlighted layer and the inspector; no script errors."""
    ARTIFACTS.mkdir(exist_ok=True)
    page, errors = open_page(browser, page_file.as_uri())
    assert current(page) == (
        "layer-ALE_BIND_REDIRECT_V4",
        "#0 ALE_BIND_REDIRECT_V4 run-time id 68 · bind()",
    )
    assert page.locator(".wfp-events li.wfp-ev").count() == 26
    for _ in range(4):
        page.click('button[data-a="step"]')
    node, head = current(page)
    assert node == "layer-OUTBOUND_TRANSPORT_V4" and head.startswith("#4 OUTBOUND_TRANSPORT_V4")
    hop = page.get_attribute('.wfp-map g.edge[data-w~="cur"]', "id")
    assert hop == "hop-ALE_AUTH_CONNECT_V4--OUTBOUND_TRANSPORT_V4"
    assert "DataOffset at this layer (20)" in page.inner_text(".wfp-insp")
    page.screenshot(path=str(ARTIFACTS / "player-step.png"))
    page.click('button[data-a="back"]')
    assert current(page)[0] == "layer-ALE_AUTH_CONNECT_V4"
    page.click(".wfp-events li.wfp-ev >> nth=11")
    assert current(page)[1].startswith("#11 STREAM_V4")
    page.fill(".wfp-speed input", "8")
    page.click('button[data-a="play"]')
    page.wait_for_function("document.querySelector('.wfp-pos').textContent.startsWith('step 15')")
    page.click('button[data-a="play"]')  # pause
    paused = page.inner_text(".wfp-pos")
    page.wait_for_timeout(300)
    assert page.inner_text(".wfp-pos") == paused
    assert errors == []
    page.close()


@pytest.mark.browser
def test_the_stack_map_reads_at_a_notebook_width(browser: Any, page_file: Path) -> None:
    """At 900 px for map and inspector together, every map label is at least 11 px tall."""
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 900, "height": 900})
    page.goto(page_file.as_uri())
    width = page.evaluate("document.querySelector('.wfp-map svg').getBoundingClientRect().width")
    sizes = page.evaluate(
        """() => [...document.querySelectorAll('.wfp-map g.node text')].map((t) => {
            const svg = t.ownerSVGElement, scale = svg.getBoundingClientRect().width
                / svg.viewBox.baseVal.width;
            return [t.textContent, parseFloat(t.getAttribute('font-size')) * scale];
        })"""
    )
    page.screenshot(path=str(ARTIFACTS / "player-900px.png"))
    page.close()
    assert width >= 400, f"the map is squeezed to {width:.0f} px"
    assert sizes, "no labels found on the stack map"
    small = [(text, round(px, 1)) for text, px in sizes if px < 11]
    assert not small, f"labels under 11 px at a 900 px page: {small}"


@pytest.mark.browser
def test_challenge_mode_in_chromium(browser: Any, page_file: Path) -> None:
    """Challenge mode hides the verdict, shows the prediction buttons, reveals and scores."""
    page, errors = open_page(browser, page_file.as_uri())
    page.click(".wfp-chk input")
    for _ in range(3):
        page.click('button[data-a="step"]')
    assert page.get_attribute('.wfp-map g.node[data-w~="cur"]', "data-w") == "cur unknown"
    assert page.inner_text(".wfp-events li.wfp-cur").endswith("· ?")
    page.screenshot(path=str(ARTIFACTS / "player-challenge.png"))
    page.click('.wfp-quiz button[data-p="BLOCK"]')
    assert page.inner_text(".wfp-score") == "score 0 / 1"
    assert page.inner_text(".wfp-fb").startswith("Not quite: you predicted BLOCK.")
    assert "web ok" in page.inner_text(".wfp-insp")
    page.click('button[data-a="step"]')
    page.click('.wfp-quiz button[data-p="NONE"]')
    assert page.inner_text(".wfp-score") == "score 1 / 2"
    page.screenshot(path=str(ARTIFACTS / "player-answered.png"))
    page.click('button[data-a="reset"]')
    assert page.inner_text(".wfp-score") == "score 0 / 0"
    assert errors == []
    page.close()


@pytest.mark.browser
def test_the_widget_module_renders_as_an_es_module(browser: Any, page_file: Path) -> None:
    """The anywidget module (the same code plus `export default`) loads and renders."""
    page, errors = open_page(browser, page_file.as_uri())
    url = "data:text/javascript;base64," + base64.b64encode(ESM.encode("utf-8")).decode("ascii")
    count = page.evaluate(
        """async (url) => {
            const mod = await import(url);
            const data = JSON.parse(document.getElementById("wfp-data").textContent);
            const el = document.createElement("div");
            document.body.appendChild(el);
            mod.default.render({ model: wfpStaticModel(data), el: el });
            return el.querySelectorAll('.wfp-map g.node[data-w~="cur"]').length;
        }""",
        url,
    )
    assert count == 1 and errors == []
    page.close()
