"""The JupyterLite site for the browser tests (tests/test_site*.py): built, served, driven.

``site`` builds ``site/`` with ``scripts/site`` (skipped while the inputs' hash is unchanged),
``served`` serves it on 127.0.0.1, ``browser`` is headless Chromium (tests/browser_helpers.py),
``student`` a fresh browser context with every request outside loopback aborted. The functions
below drive JupyterLab's own commands through ``window.jupyterapp`` (the site exposes it).
"""

from __future__ import annotations

import functools
import http.server
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
      source: cell.model.sharedModel.getSource(),
      blank: cell.model.sharedModel.getSource().trim() === "",
      count: cell.model.executionCount,
      prompt: (cell.node.querySelector(".jp-InputPrompt") || {}).textContent || "",
      outputs: cell.model.outputs.toJSON().map((o) => ({
        type: o.output_type, ename: o.ename || "", evalue: o.evalue || "",
        text: o.output_type === "stream" ? String(o.text) : "",
        plain: (o.data && o.data["text/plain"]) ? String(o.data["text/plain"]) : "",
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
