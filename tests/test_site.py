"""The browser classroom as a student meets it: the JupyterLite site, offline, in headless Chromium.

``scripts/site`` builds ``site/`` once (it skips the build while the inputs' hash is unchanged);
a small HTTP server serves it on 127.0.0.1; Chromium (the OS's ``/usr/bin/chromium``, driven by
Playwright: tests/browser_helpers.py) gets a fresh context per test, with every request that
leaves loopback aborted. For ``00_tour``, ``06_tcp_connection`` and one other tutorial in turn
(:func:`tutorials`; ``WFPSIM_SITE_TUTORIALS=all`` runs every one): open, run all cells, then
check that every code cell got an execution count (a kernel that failed to load hangs at ``[*]``
without any error), that no cell shows an error, that the pictures are SVG drawn in the page,
that the player steps, plays and asks in challenge mode; then exercise 01's ``check(...)``
gives the command line's feedback, and passes once ``student.py`` is edited in the page.
Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import VIEWPORT, chromium, loopback_only, need

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "site"
ARTIFACTS = ROOT / "test-artifacts"
BUILD_S = 1200
OPEN_MS = 300_000  # Pyodide's first start: 10-20 s idle, far longer on a busy two-core machine
RUN_ALL_MS = 240_000
STEP_MS = 30_000

pytestmark = [pytest.mark.browser, pytest.mark.slow]


# ---------------------------------------------------------------- the site, built and served


@pytest.fixture(scope="module")
def site() -> Path:
    """site/, built by scripts/site unless current (its inputs' hash is unchanged)."""
    need(shutil.which("npm"), "npm is not installed (scripts/site takes Pyodide from npm)")
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "site")],
        capture_output=True,
        text=True,
        timeout=BUILD_S,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"scripts/site failed:\n{done.stderr[-3000:]}", pytrace=False)
    print(f"scripts/site: {time.monotonic() - started:.0f} s")
    return SITE


class Quiet(http.server.SimpleHTTPRequestHandler):
    extensions_map = {  # noqa: RUF012 - the stdlib's own attribute
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",
        ".js": "text/javascript",
        ".wasm": "application/wasm",
        ".json": "application/json",
        ".ipynb": "application/json",
    }

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    """The site on http://127.0.0.1:<free port>/ (loopback only), stopped at the end."""
    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser(served: str) -> Iterator[Any]:
    """Headless Chromium (tests/browser_helpers.py), launched once for the module."""
    with chromium() as launched:
        yield launched


@pytest.fixture
def student(browser: Any) -> Iterator[tuple[Any, list[str]]]:
    """A fresh browser context (a student's first visit) and the requests it had to abort.

    Fresh per test: JupyterLite keeps its workspace in the browser's storage and reopens the
    earlier tabs — each with a Pyodide kernel of its own — so a shared profile made every
    later test start all the earlier notebooks' kernels too.
    """
    context = browser.new_context(viewport=VIEWPORT, service_workers="allow")
    blocked = loopback_only(context)
    try:
        yield context, blocked
    finally:
        context.close()


# ---------------------------------------------------------------- driving JupyterLite

#: The current notebook's code cells as JupyterLab's model and DOM show them.
CODE_CELLS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  return panel.content.widgets.map((cell, index) => ({ cell, index }))
    .filter(({ cell }) => cell.model.type === "code")
    .map(({ cell, index }) => ({
      index,
      blank: cell.model.sharedModel.getSource().trim() === "",
      count: cell.model.executionCount,
      prompt: (cell.node.querySelector(".jp-InputPrompt") || {}).textContent || "",
      outputs: cell.model.outputs.toJSON().map((o) => ({
        type: o.output_type, ename: o.ename || "", evalue: o.evalue || "",
        text: o.output_type === "stream" ? String(o.text) : "",
      })),
      // textContent, not innerText: JupyterLab skips rendering the cells out of view
      // (content-visibility: auto), and Chromium's innerText of those is empty.
      shown: Array.from(cell.node.querySelectorAll(".jp-OutputArea-output"))
        .map((n) => n.textContent),
    }));
}"""

KERNEL_IDLE = """() => {
  const app = window.jupyterapp, panel = app && app.shell.currentWidget;
  if (!panel || !panel.content || !panel.sessionContext || !panel.context.isReady) return false;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !!kernel && kernel.status === "idle";
}"""

#: Nothing running or queued, and every non-blank code cell numbered above ``before`` (the
#: highest number before this Run All) — or an error stopped it.
RUN_ALL_DONE = (
    "(before) => { const cells = ("
    + CODE_CELLS
    + """)();
  if (cells.some((c) => c.prompt.includes("*"))) return false;
  return cells.every((c) => c.blank || (c.count !== null && c.count > before))
    || cells.some((c) => c.outputs.some((o) => o.type === "error"));
}"""
)


def open_notebook(page: Any, url: str, path: str) -> float:
    """Open a notebook in the site's JupyterLab; the seconds until its kernel is idle."""
    started = time.monotonic()
    page.goto(f"{url}lab/index.html?path={path}", timeout=OPEN_MS)
    page.wait_for_function(  # this notebook is the current tab, its cells are in the page
        """(path) => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
          return !!w && !!w.context && w.context.path === path
            && !!w.node.querySelector(".jp-Notebook .jp-Cell"); }""",
        arg=path,
        timeout=OPEN_MS,
        polling=250,
    )
    page.wait_for_function(KERNEL_IDLE, timeout=OPEN_MS, polling=500)
    return time.monotonic() - started


def run_all(page: Any) -> tuple[list[dict[str, Any]], float]:
    """JupyterLab's own Run All (``notebook:run-all-cells``).

    Returns:
        The cells once it has finished, and the seconds until the first code cell had run.
    """
    before = max([c["count"] or 0 for c in page.evaluate(CODE_CELLS)], default=0)
    started = time.monotonic()
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    page.wait_for_function(
        "(before) => (" + CODE_CELLS + ")()[0].count > before",
        arg=before,
        timeout=RUN_ALL_MS,
        polling=100,
    )
    first = time.monotonic() - started
    page.wait_for_function(RUN_ALL_DONE, arg=before, timeout=RUN_ALL_MS, polling=500)
    cells: list[dict[str, Any]] = page.evaluate(CODE_CELLS)
    return cells, first


def problems(cells: list[dict[str, Any]]) -> list[str]:
    """Cells without an execution count, error outputs, tracebacks, widgets that failed."""
    found = []
    for c in cells:
        if not c["blank"] and c["count"] is None:
            found.append(f"cell {c['index']} never ran (no execution count)")
        for o in c["outputs"]:
            if o["type"] == "error":
                found.append(f"cell {c['index']}: {o['ename']}: {o['evalue']}")
            if "Traceback" in o["text"]:
                found.append(f"cell {c['index']} printed a traceback: {o['text'][-800:]}")
        for text in c["shown"]:
            if "Error displaying widget" in text or "needs Graphviz" in text:
                found.append(f"cell {c['index']}: {text.strip()[:300]}")
    return found


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


EX01 = "exercises/ex01_write_a_policy"


def test_an_exercise_check_runs_in_the_browser(student: Any, served: str) -> None:
    """ex01 as a student does it in the page: the hand-out's check("ex01") gives the command
    line's feedback; then student.py, edited and saved in the browser, passes."""
    from wfpsim.exercise import check

    context, blocked = student
    ARTIFACTS.mkdir(exist_ok=True)
    page = context.new_page()
    try:
        open_notebook(page, served, f"{EX01}/exercise.ipynb")
        cells, _ = run_all(page)
        assert problems(cells) == []
        shown = "\n".join(t for c in cells for t in c["shown"])
        expected = check("ex01")  # the command line's verdict, in a process of its own
        assert not expected.passed
        for r in expected.results:  # each check and its feedback, as the command line gives it
            for text in (r.description, r.message):
                assert text in shown, f"{text!r} is not in the page:\n{shown[-3000:]}"

        # The student writes add_policy (the reference solution) in the browser's editor and saves.
        solution = (ROOT / "exercises" / "solutions" / "ex01_write_a_policy.py").read_text()
        page.evaluate(
            """([path, text]) => window.jupyterapp.serviceManager.contents.save(path,
                 { type: "file", format: "text", content: text })""",
            [f"{EX01}/student.py", solution],
        )
        cells, _ = run_all(page)
        page.screenshot(path=str(ARTIFACTS / "site-ex01.png"))
        assert problems(cells) == []
        shown = "\n".join(t for c in cells for t in c["shown"])
        assert "5 of 5 checks passed" in shown, shown[-3000:]
    finally:
        page.close()
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
