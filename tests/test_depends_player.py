"""A journey whose verdict depends on an unknown callout: DEPENDS in the journey, the step report,
the player's frames and the exported player, with the answers and what each leads to."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from test_viz_export import browser, open_page  # noqa: F401  (browser: a fixture)
from test_whatif import DEFENDER

from wfpsim.analysis.flows import FlowExplanation, explain_flow
from wfpsim.netsh import load_netsh
from wfpsim.stack.inspect import journey_table, step_report
from wfpsim.viz import frames
from wfpsim.viz.player import judge

FLOW = ("udp", "outbound", "10.0.0.5:0", "198.51.100.7:53")
CALLOUT = "windefend_datagram_v4 (DATAGRAM_DATA_V4)"


@pytest.fixture(scope="module")
def flow(tmp_path_factory: pytest.TempPathFactory) -> FlowExplanation:
    dump = tmp_path_factory.mktemp("dump") / "defender.xml"
    dump.write_text(DEFENDER)
    engine, _report = load_netsh(dump)
    return explain_flow(engine, *FLOW)


def _depends_index(flow: FlowExplanation) -> int:
    return next(i for i, s in enumerate(flow.journey.steps) if s.result == "DEPENDS")


def test_the_journey_carries_every_answer_and_its_verdict(flow: FlowExplanation) -> None:
    """The journey is DEPENDS; the DATAGRAM_DATA step lists each answer with the layer's action
    and the journey's verdict (CONTINUE from a terminating callout is read as BLOCK)."""
    j = flow.journey
    assert j.result == "DEPENDS" and flow.verdict == "DEPENDS"
    assert {a.verdict for a in j.possible} == {"PERMIT", "BLOCK"}
    step = j.steps[_depends_index(flow)]
    assert step.layer == "DATAGRAM_DATA_V4"
    got = {(a.answers, a.action, a.verdict) for a in step.depends}
    assert got == {
        (((CALLOUT, "PERMIT"),), "PERMIT", "PERMIT"),
        (((CALLOUT, "BLOCK"),), "BLOCK", "BLOCK"),
        (((CALLOUT, "CONTINUE"),), "BLOCK", "BLOCK"),
    }
    others = [s for s in j.steps if s is not step]
    assert all(s.result == s.action.name and not s.depends for s in others)
    assert "DEPENDS" in j.describe().splitlines()[0]


def test_assumed_answers_leave_nothing_to_depend_on(tmp_path: Path) -> None:
    """With --callouts permit the journey is PERMIT and no step is DEPENDS."""
    dump = tmp_path / "defender.xml"
    dump.write_text(DEFENDER)
    engine, _report = load_netsh(dump)
    j = explain_flow(engine, *FLOW, callouts="permit").journey
    assert j.result == "PERMIT" and not j.possible
    assert all(s.result != "DEPENDS" for s in j.steps)


def test_the_step_report_and_table_say_depends(flow: FlowExplanation) -> None:
    """The static step report names the callout, each answer, the layer's action and the
    journey's verdict; the journey table's result column says DEPENDS."""
    report = step_report(flow.journey.steps[_depends_index(flow)])
    assert "DEPENDS: unknown callouts decide at DATAGRAM_DATA_V4" in report
    assert f"if {CALLOUT} -> BLOCK: BLOCK here, journey BLOCK" in report
    assert f"if {CALLOUT} -> PERMIT: PERMIT here, journey PERMIT" in report
    table = journey_table(flow.journey)
    assert table.title.endswith(": DEPENDS")
    assert "DEPENDS" in [row[4] for row in table.rows]


def test_the_player_frame_marks_the_step_depends(flow: FlowExplanation) -> None:
    """The frame's label, verdict, result class and map mark say DEPENDS; its decision HTML
    carries the DEPENDS badge and, per answer, the layer's action and the journey's verdict;
    predicting DEPENDS is right, predicting the default run's PERMIT is not."""
    i = _depends_index(flow)
    f = frames.frame(flow.journey, i)
    assert f["label"].endswith("· DEPENDS") and f["verdict"] == "DEPENDS"
    assert f["result"] == "depends" and f["marks"][f["node"]] == "cur depends"
    assert f["accept"] == ["DEPENDS"]
    assert '<span class="w-badge">DEPENDS</span>' in f["decision"]
    for answer, action in (("PERMIT", "PERMIT"), ("BLOCK", "BLOCK"), ("CONTINUE", "BLOCK")):
        row = (
            f"{CALLOUT} → <b>{answer}</b></td>"
            f'<td><span class="w-act" data-r="{action.lower()}">{action}</span></td>'
            f"<td>{action}</td>"
        )
        assert row in f["decision"]
    assert judge(f, "depends")[0] and not judge(f, "permit")[0]
    assert "DEPENDS" in f["outcome"] and f"{CALLOUT} -> BLOCK: BLOCK" in f["outcome"]
    after = frames.frame(flow.journey, i + 1)
    assert after["marks"]["layer-DATAGRAM_DATA_V4"] == "seen depends"


def test_the_last_frame_and_event_list_give_the_journey_verdict(flow: FlowExplanation) -> None:
    """The event list's journey verdict and the last frame's verdict line are DEPENDS, with the
    possible verdicts and the answers that lead to them."""
    events = frames.events(flow.journey)
    assert {e["verdict"] for e in events} == {"DEPENDS"}
    assert [e["result"] for e in events].count("depends") == 1
    last = frames.frame(flow.journey, len(flow.journey.steps) - 1)
    assert "Journey verdict: DEPENDS" in last["decision"]
    assert f"BLOCK if {CALLOUT} -&gt; BLOCK" in last["decision"]
    assert f"PERMIT if {CALLOUT} -&gt; PERMIT" in last["decision"]


def test_the_exported_player_shows_depends(flow: FlowExplanation, tmp_path: Path) -> None:
    """The standalone HTML player embeds the DEPENDS frame, its style and the DEPENDS pick."""
    if shutil.which("dot") is None:
        pytest.skip("needs Graphviz's dot")
    from wfpsim.viz.export import export_html

    page = export_html(flow.journey, tmp_path / "depends.html").read_text()
    assert "w-badge" in page and ".wfp-player .w-depends" in page
    assert '"result":"depends"' in page and '"verdict":"DEPENDS"' in page
    assert 'PICKS.concat(["DEPENDS"])' in page and "an unknown callout decides" in page


@pytest.mark.browser
def test_depends_pick_in_chromium(
    flow: FlowExplanation,
    tmp_path: Path,
    browser: Any,  # noqa: F811  (the fixture imported above)
) -> None:
    """In a real browser: the DEPENDS step glows in its own colour, the inspector shows the
    badge and the answers, the legend explains it, and in challenge mode DEPENDS is a pick that
    scores."""
    from wfpsim.viz.export import export_html

    if shutil.which("dot") is None:
        pytest.skip("needs Graphviz's dot")
    path = export_html(flow.journey, tmp_path / "depends.html")
    page, errors = open_page(browser, path.as_uri())
    i = _depends_index(flow)
    page.click(f".wfp-events li.wfp-ev >> nth={i}")
    node = page.get_attribute('.wfp-map g.node[data-w~="cur"]', "data-w")
    assert node == "cur depends"
    assert page.inner_text(".wfp-insp .w-badge") == "DEPENDS"
    assert "windefend_datagram_v4" in page.inner_text(".wfp-insp .w-depends")
    assert "DEPENDS (an unknown callout decides)" in page.inner_text(".wfp-legend")
    page.click('button[data-a="reset"]')
    page.click(".wfp-chk input")
    for _ in range(i):
        page.click('button[data-a="step"]')
    assert page.locator('.wfp-quiz button[data-p="DEPENDS"]').count() == 1
    page.click('.wfp-quiz button[data-p="DEPENDS"]')
    assert page.inner_text(".wfp-fb").startswith("Right!")
    assert errors == []
    page.close()
