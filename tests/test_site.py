"""The browser classroom as a student meets it: the JupyterLite site, offline, in headless Chromium.

``scripts/site`` builds ``site/`` once (it skips the build while the inputs' hash is unchanged);
a small HTTP server serves it on 127.0.0.1; Chromium (the OS's ``/usr/bin/chromium``, driven by
Playwright: tests/browser_helpers.py) gets a fresh context per test, with every request that
leaves loopback aborted. For ``00_tour``, ``06_tcp_connection`` and one other tutorial in turn
(:func:`tutorials`; ``WFPSIM_SITE_TUTORIALS=all`` runs every one): open, run all cells, then
check that every code cell got an execution count (a kernel that failed to load hangs at ``[*]``
without any error), that no cell shows an error, that the pictures are SVG drawn in the page,
that the player steps, plays and asks in challenge mode. The exercises' ``check("exNN")`` in
the page: tests/test_site_checks.py. The fixtures and the driving: tests/site_helpers.py.
Screenshots go to ``test-artifacts/``.
"""

# ruff: noqa: F811 - the tests take the fixtures imported from site_helpers as arguments

from __future__ import annotations

import contextlib
import datetime
import os
import re
import time
from pathlib import Path
from typing import Any

import pytest
from site_helpers import (  # noqa: F401 - fixtures, found by name
    ARTIFACTS,
    ROOT,
    STEP_MS,
    browser,
    open_notebook,
    problems,
    run_all,
    served,
    site,
    student,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def wait_for_pictures(page: Any) -> int:
    """Wait until every picture (and player map) has its SVG drawn in the page; how many."""
    page.wait_for_function(
        """() => { const d = document.querySelectorAll(".wfp-drawing, .wfp-map");
          return d.length > 0 && [...d].every((x) => x.querySelector("svg") ||
            x.querySelector(".wfp-graphviz-error")); }""",
        timeout=STEP_MS,
    )
    errors = page.locator(".wfp-graphviz-error").all_inner_texts()
    assert errors == [], errors
    return page.locator(".wfp-drawing svg g.graph, .wfp-map svg g.graph").count()


def first_frame(page: Any) -> str:
    """Scroll to the first player (as a student would) and wait for its first frame: its label.

    Read with ``textContent``: a cell out of view is not rendered (JupyterLab's
    ``content-visibility: auto``), and Chromium's ``innerText`` of it is empty.
    """
    player = page.locator(".wfp-player").first
    player.scroll_into_view_if_needed(timeout=STEP_MS)
    page.wait_for_function(
        """(r) => r.querySelector(".wfp-map svg g.node")
          && / of \\d+$/.test(r.querySelector(".wfp-pos").textContent)""",
        arg=player.element_handle(),
        timeout=STEP_MS,
    )
    return str(player.locator(".wfp-pos").text_content())


def player_plays_and_challenges(page: Any) -> None:
    """▶ plays on and ❚❚ stops it; challenge mode hides the verdict, asks, scores the answer."""
    player = page.locator(".wfp-player").first
    pos = player.locator(".wfp-pos")

    def step_number() -> int:
        return int(str(pos.text_content()).split()[1])

    start = step_number()
    play = player.locator('button[data-a="play"]')
    play.click()
    page.wait_for_function(
        "([r, n]) => +r.querySelector('.wfp-pos').textContent.split(' ')[1] >= n",
        arg=[player.element_handle(), start + 2],
        timeout=STEP_MS,
    )
    play.click()
    page.wait_for_function(
        "(b) => b.textContent === '▶'", arg=play.element_handle(), timeout=STEP_MS
    )
    player.locator('button[data-a="reset"]').click()  # back to step 1 (the kernel's reset)
    page.wait_for_function(
        "(r) => r.querySelector('.wfp-pos').textContent.startsWith('step 1 of')",
        arg=player.element_handle(),
        timeout=STEP_MS,
    )
    player.locator(".wfp-chk input").check()
    ask = player.locator('.wfp-quiz button[data-p="PERMIT"]')
    ask.wait_for(timeout=STEP_MS)
    assert player.locator(".wfp-ev.wfp-cur").text_content().endswith("?")  # verdict hidden
    ask.click()
    page.wait_for_function(
        "(r) => /^score [01] \\/ 1$/.test(r.querySelector('.wfp-score').textContent)",
        arg=player.element_handle(),
        timeout=STEP_MS,
    )
    assert player.locator(".wfp-quiz .wfp-fb").count() == 1  # right or not, and what happened
    assert not player.locator(".wfp-ev.wfp-cur").text_content().endswith("?")  # revealed


def player_step(page: Any) -> str:
    """Press ▶▶ on the first player; the new step label once the kernel has sent the frame."""
    player = page.locator(".wfp-player").first
    before = player.locator(".wfp-pos").text_content()
    player.locator('button[data-a="step"]').click()
    page.wait_for_function(
        "([r, b]) => r.querySelector('.wfp-pos').textContent !== b",
        arg=[player.element_handle(), before],
        timeout=STEP_MS,
    )
    assert player.locator('.wfp-map g.node[data-w~="cur"]').count() == 1
    return str(player.locator(".wfp-pos").text_content())


#: Every tutorial, in order.
ALL_TUTORIALS = [f"notebooks/{p.name}" for p in sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))]
#: Always run: the tour and the TCP tutorial (the pictures and the player).
FIXED = ["notebooks/00_tour.ipynb", "notebooks/06_tcp_connection.ipynb"]


def tutorials(choice: str | None, day: int) -> list[str]:
    """The tutorials the suite runs in the browser.

    Each starts a Pyodide kernel of its own (half a minute to over a minute on a shared
    two-core machine), so by default not all of them: :data:`FIXED` and one of the others in
    turn, by the day (a different one each UTC day, every one within two weeks). ``choice``
    (``WFPSIM_SITE_TUTORIALS``): ``all``, or numbers / names separated by commas (``02,04``).

    >>> tutorials(None, 0) == FIXED + ["notebooks/01_bfe_objects.ipynb"]
    True
    >>> tutorials("02, 11_pitfalls", 0)
    ['notebooks/02_layers_and_fields.ipynb', 'notebooks/11_pitfalls.ipynb']
    """
    if not choice:
        others = [t for t in ALL_TUTORIALS if t not in FIXED]
        return [*FIXED, others[day % len(others)]]
    if choice.strip() == "all":
        return ALL_TUTORIALS
    wanted = [w.strip() for w in choice.split(",") if w.strip()]
    picked = [t for t in ALL_TUTORIALS if any(Path(t).stem.startswith(w) for w in wanted)]
    if not picked:
        raise ValueError(f"WFPSIM_SITE_TUTORIALS={choice!r} names no tutorial in notebooks/")
    return picked


TUTORIALS = tutorials(
    "all" if os.environ.get("WFPSIM_SITE_ALL") else os.environ.get("WFPSIM_SITE_TUTORIALS"),
    datetime.datetime.now(datetime.UTC).date().toordinal(),
)
MUST_DRAW = {"notebooks/00_tour.ipynb", "notebooks/06_tcp_connection.ipynb"}


@pytest.mark.parametrize("path", TUTORIALS)
def test_tutorial_runs_in_the_browser_offline(student: Any, served: str, path: str) -> None:
    """Every cell runs (numbered, no error), pictures are drawn as SVG, the player steps, plays
    and asks in challenge mode."""
    context, blocked = student
    ARTIFACTS.mkdir(exist_ok=True)
    page = context.new_page()
    uncaught: list[str] = []
    page.on("pageerror", lambda e: uncaught.append(str(e)))
    try:
        ready = open_notebook(page, served, path)
        started = time.monotonic()
        cells, first = run_all(page)
        ran = time.monotonic() - started
        found = problems(cells)
        assert found == [], "\n".join(found)
        has_pictures = page.locator(".wfp-drawing, .wfp-map").count() > 0
        pictures = wait_for_pictures(page) if has_pictures or path in MUST_DRAW else 0
        if path in MUST_DRAW:
            assert pictures >= 1
        if page.locator(".wfp-player").count():
            label = first_frame(page)
            assert label.startswith("step 1 of "), label
            total = label.split(" of ")[1]
            assert player_step(page) == f"step 2 of {total}"
            player_plays_and_challenges(page)
        page.screenshot(path=str(ARTIFACTS / f"site-{Path(path).stem}.png"))
        drawn = page.eval_on_selector_all(
            ".wfp-drawing[data-ms]", "(els) => els.map((e) => +e.dataset.ms)"
        )
        print(
            f"{path}: kernel ready {ready:.1f} s, first cell run {ready + first:.1f} s after "
            f"opening, all cells {ran:.1f} s, {pictures} picture(s), drawn in the page in "
            f"{drawn} ms"
        )
    finally:
        page.close()
    assert uncaught == []
    assert blocked == [], f"requests left loopback: {blocked[:5]}"


def test_the_site_holds_what_the_tutorials_open(site: Path) -> None:
    """Files a notebook opens or links beside it (``../docs/images/x.svg``, ``data/x.toml``)."""
    pattern = re.compile(r"(?<![\w/])((?:\.\./|data/)[\w./-]+\.\w+)")
    missing = []
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for ref in set(pattern.findall(notebook.read_text())):
            rel = os.path.normpath(Path("notebooks") / ref)
            if (ROOT / rel).exists() and not (site / "files" / rel).exists():
                missing.append(f"{notebook.name}: {ref}")
    assert missing == [], missing


def test_the_site_holds_no_solutions(site: Path) -> None:
    """Students get no solutions/ and no hidden checks."""
    files = site / "files"
    assert (files / "notebooks" / "00_tour.ipynb").is_file()
    assert (files / "exercises" / "ex01_write_a_policy" / "student.py").is_file()
    leaked = [p for p in files.rglob("*") if p.name in {"solutions", "hidden", "INSTRUCTORS.md"}]
    assert leaked == []
    with contextlib.suppress(FileNotFoundError):
        assert "solutions" not in (site / "api" / "contents" / "all.json").read_text()
