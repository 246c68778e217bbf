"""The tour, the TCP notebook and an exercise in a real JupyterLab, driven by headless Chromium.

A private JupyterLab server (loopback, free port, random token, its own config/data/runtime/
settings directories) serves a root holding temporary copies of ``notebooks/`` and
``exercises/``, as ``scripts/lab`` serves the repository's root; Playwright drives the OS's
``/usr/bin/chromium`` (``playwright install`` is never run). For each notebook: open it, run all
cells, check that no cell shows an error, press ▶▶ and ▶ on the packet player and check that the
highlighted layer, the inspector and the picture change. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import VIEWPORT, chromium, need

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
EXERCISES = ROOT / "exercises"
EXERCISE = "exercises/ex03_permit_that_loses/exercise.ipynb"
ARTIFACTS = ROOT / "test-artifacts"
MAX_HEIGHT = 15_000  # tallest full-notebook screenshot, in CSS pixels
#: Timeouts in milliseconds (Playwright) — generous, for slow two-core machines.
OPEN_MS = 60_000
RUN_ALL_MS = 120_000
STEP_MS = 20_000
SERVER_START_S = 60.0
#: The private server's user settings: no news or update toasts (nor their web requests); no
#: empty space after the last cell, so that a window as tall as the notebook shows all of it.
SETTINGS = {
    "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "notebook-extension/tracker": {"scrollPastEnd": False},
}

pytestmark = pytest.mark.browser


# ---------------------------------------------------------------- the JupyterLab server


@dataclass(frozen=True)
class Lab:
    url: str
    token: str
    root: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def api(lab_url: str, token: str, path: str, method: str = "GET") -> Any:
    request = urllib.request.Request(
        lab_url + path, method=method, headers={"Authorization": f"token {token}"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        body = response.read()
    return json.loads(body) if body else None


def log_tail(log: Path) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-30:])


def stop(proc: subprocess.Popen[bytes], url: str, token: str) -> None:
    """Shut the server (and its kernels) down politely; then SIGTERM, then SIGKILL its group."""
    if proc.poll() is None:
        with contextlib.suppress(OSError):
            api(url, token, "/api/shutdown", "POST")  # also shuts every kernel down
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)
            break


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """JupyterLab on 127.0.0.1 serving a root with copies of notebooks/ and exercises/ (as
    scripts/lab serves the repository), stopped at the end."""
    need(importlib.util.find_spec("jupyterlab"), "JupyterLab is not installed")
    need(shutil.which("dot"), "Graphviz's dot is not installed (the notebooks draw with it)")
    base = tmp_path_factory.mktemp("lab")
    root = base / "root"  # notebooks run from their own folder, with data/ beside them
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
    shutil.copytree(NOTEBOOKS, root / "notebooks", ignore=ignore)
    shutil.copytree(EXERCISES, root / "exercises", ignore=ignore)
    home = base / "jupyter"
    settings = home / "lab-settings"
    for plugin, values in SETTINGS.items():
        path = settings / "@jupyterlab" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON"))}
    env.update(
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_DATA_DIR=str(home / "data"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
        IPYTHONDIR=str(home / "ipython"),
    )
    token = secrets.token_hex(24)
    log = base / "jupyterlab.log"
    proc: subprocess.Popen[bytes] | None = None
    url = ""
    try:
        for _attempt in range(3):  # another process may take the free port first
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            command = [
                sys.executable,
                "-m",
                "jupyterlab",
                "--no-browser",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={port}",
                "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={token}",
                f"--ServerApp.root_dir={root}",
                "--ServerApp.terminals_enabled=False",
                # window.jupyterapp: the test runs JupyterLab's own commands (see run_all).
                "--LabApp.expose_app_in_browser=True",
                "--LabApp.extension_manager=readonly",  # never asks PyPI
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            ]
            if hasattr(os, "geteuid") and os.geteuid() == 0:
                command.append("--allow-root")
            with log.open("ab") as out:
                proc = subprocess.Popen(
                    command,
                    cwd=root,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group, killed as a whole
                )
            deadline = time.monotonic() + SERVER_START_S
            while proc.poll() is None and time.monotonic() < deadline:
                with contextlib.suppress(OSError, ValueError):
                    api(url, token, "/api/status")
                    break
                time.sleep(0.25)
            else:
                if proc.poll() is None:
                    pytest.fail(
                        f"JupyterLab did not answer within {SERVER_START_S:.0f} s:\n"
                        + log_tail(log)
                    )
                continue  # it exited: most likely the port was taken
            break
        else:
            pytest.fail("JupyterLab did not start (3 attempts):\n" + log_tail(log))
        yield Lab(url, token, root)
    finally:
        if proc is not None:
            stop(proc, url, token)


# ---------------------------------------------------------------- the browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium (tests/browser_helpers.py); each test opens its own context."""
    with chromium() as launched:
        yield launched


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
      })),
      stderr: Array.from(cell.node.querySelectorAll(
        '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
      )).map((n) => n.innerText),
      shown: Array.from(cell.node.querySelectorAll(".jp-OutputArea-output"))
        .map((n) => n.innerText),
    }));
}"""

#: Kernel idle, the notebook's context ready, nothing queued.
KERNEL_IDLE = """() => {
  const app = window.jupyterapp, panel = app && app.shell.currentWidget;
  if (!panel || !panel.content || !panel.sessionContext || !panel.context.isReady) return false;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !!kernel && kernel.status === "idle";
}"""

#: Run All has finished: nothing is running or queued ([*]) and every non-blank code cell has
#: an execution count — or a cell failed (Run All then stops, leaving the later cells at [ ]).
RUN_ALL_DONE = (
    "() => { const cells = ("
    + CODE_CELLS
    + """)();
  if (cells.some((c) => c.prompt.includes("*"))) return false;
  return cells.every((c) => c.blank || /^\\[\\d+\\]/.test(c.prompt))
    || cells.some((c) => c.outputs.some((o) => o.type === "error"));
}"""
)


def open_notebook(page: Any, lab: Lab, path: str) -> None:
    """Open a notebook (``?reset``: a clean workspace) and wait for an idle kernel."""
    page.goto(f"{lab.url}/lab/tree/{path}?reset&token={lab.token}", timeout=OPEN_MS)
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=OPEN_MS)
    page.wait_for_function(KERNEL_IDLE, timeout=OPEN_MS)
    title = page.evaluate("window.jupyterapp.shell.currentWidget.title.label")
    name = path.rsplit("/", 1)[-1]
    assert title == name, f"the current tab is {title!r}, not {name!r}"
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")  # the notebook, full width


def run_all(page: Any) -> None:
    """Run every cell and wait until the last one has finished.

    Run All is started with the command behind the menu item "Run › Run All Cells", the command
    palette entry and any keyboard shortcut: ``notebook:run-all-cells`` in JupyterLab's command
    registry (``window.jupyterapp``, exposed by ``--LabApp.expose_app_in_browser``). A stable
    command id is more robust than clicking through menus (labels, hover timing, focus, popups)
    or typing a shortcut (there is no default one for Run All, and it depends on focus). The
    result is then read from what the page shows: the cells' ``[n]:`` prompts.
    """
    enabled = page.evaluate(
        """() => { const c = window.jupyterapp.commands;
          return c.hasCommand("notebook:run-all-cells") && c.isEnabled("notebook:run-all-cells"); }"""
    )
    assert enabled, "JupyterLab offers no enabled 'notebook:run-all-cells' command"
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    page.wait_for_function(RUN_ALL_DONE, timeout=RUN_ALL_MS, polling=250)


def shown_errors(cells: list[dict[str, Any]]) -> list[str]:
    """Errors the notebook shows: error outputs, tracebacks, widgets that failed to display.

    JupyterLab 4 renders an ``error`` output and a ``stderr`` stream alike (a
    ``.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]``), so the output's type
    comes from the notebook model, and the DOM is searched for a rendered traceback too; a plain
    warning on stderr is not an error (see :func:`shown_warnings`).
    """
    found = []
    for c in cells:
        for o in c["outputs"]:
            if o["type"] == "error":
                found.append(f"cell {c['index']}: {o['ename']}: {o['evalue']}")
        for text in c["stderr"]:
            if "Traceback" in text:
                found.append(f"cell {c['index']} shows a traceback:\n{text[-1500:]}")
        for text in c["shown"]:
            if re.search(r"Error (displaying|creating|rendering) (the )?widget", text):
                found.append(f"cell {c['index']}: {text.strip()[:300]}")
    return found


def shown_warnings(cells: list[dict[str, Any]]) -> list[str]:
    return [
        f"cell {c['index']}: {text.strip()[:300]}"
        for c in cells
        for text in c["stderr"]
        if "Traceback" not in text
    ]


def screenshot_notebook(page: Any, path: Path) -> None:
    """The whole notebook in one picture: the window is made as tall as the notebook."""
    outer = ".jp-NotebookPanel .jp-WindowedPanel-outer"
    for _ in range(4):  # off-screen cells may grow once laid out: measure again
        scroll, client = page.evaluate(
            f"() => {{ const o = document.querySelector({outer!r});"
            " return [o.scrollHeight, o.clientHeight]; }"
        )
        height = min(page.viewport_size["height"] + scroll - client, MAX_HEIGHT)
        if scroll <= client + 2 or height <= page.viewport_size["height"]:
            break
        page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
        page.wait_for_function(
            f"() => document.querySelector({outer!r}).clientHeight > {client}", timeout=STEP_MS
        )
    page.screenshot(path=str(path), animations="disabled")
    page.set_viewport_size(VIEWPORT)


def show_whole(page: Any, player: Any) -> None:
    """Scroll the player to the middle of the notebook, the window tall enough to show it all.

    The notebook scrolls inside JupyterLab's window, under its toolbar and above its status
    bar: a player taller than the notebook's visible part would be screenshotted half covered.
    """
    outer = page.locator(".jp-NotebookPanel .jp-WindowedPanel-outer")
    player_h = player.bounding_box()["height"]
    outer_h = outer.bounding_box()["height"]
    if player_h + 40 > outer_h:
        grow = math.ceil(player_h + 40 - outer_h)
        height = min(page.viewport_size["height"] + grow, MAX_HEIGHT)
        page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
        page.wait_for_function(
            "([o, h]) => o.getBoundingClientRect().height > h",
            arg=[outer.element_handle(), outer_h],
            timeout=STEP_MS,
        )
    player.evaluate("(root) => root.scrollIntoView({ block: 'center' })")
    page.wait_for_function(
        """([root, o]) => {
          const r = root.getBoundingClientRect(), b = o.getBoundingClientRect();
          return r.top >= b.top && r.bottom <= b.bottom;
        }""",
        arg=[player.element_handle(), outer.element_handle()],
        timeout=STEP_MS,
    )


def player_state(player: Any) -> dict[str, str]:
    """What the player shows: step label, highlighted layer node, inspector text."""
    state: dict[str, str] = player.evaluate(
        """(root) => ({
          pos: root.querySelector(".wfp-pos").textContent,
          node: (root.querySelector('.wfp-map g.node[data-w~="cur"]') || {}).id || "",
          insp: root.querySelector(".wfp-insp").innerText,
        })"""
    )
    return state


def wait_for_step(page: Any, player: Any, at_least: int) -> None:
    """Wait until the player shows step ``at_least`` or later (the kernel sent the frame)."""
    page.wait_for_function(
        """([root, n]) => {
          const m = /^step (\\d+) of/.exec(root.querySelector(".wfp-pos").textContent);
          return !!m && +m[1] >= n;
        }""",
        arg=[player.element_handle(), at_least],
        timeout=STEP_MS,
    )


def wait_for_label(page: Any, button: Any, text: str) -> None:
    page.wait_for_function(
        "([b, t]) => b.textContent === t", arg=[button.element_handle(), text], timeout=STEP_MS
    )


def settled(page: Any, player: Any) -> dict[str, str]:
    """The player's state once it has stopped changing (a frame may still be on its way)."""
    state = player_state(player)
    for _ in range(20):
        page.wait_for_timeout(300)
        again = player_state(player)
        if again == state:
            return state
        state = again
    raise AssertionError(f"the player kept changing after pause: {state['pos']}")


@pytest.mark.parametrize("name", ["00_tour.ipynb", "06_tcp_connection.ipynb"])
def test_notebook_runs_and_its_player_plays_in_jupyterlab(
    browser: Any, lab: Lab, name: str
) -> None:
    """All cells run without an error in JupyterLab; ▶▶ and ▶ move the player's picture on."""
    ARTIFACTS.mkdir(exist_ok=True)
    stem = name.removesuffix(".ipynb")
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    uncaught: list[str] = []
    console: list[str] = []
    page.on("pageerror", lambda error: uncaught.append(str(error)))
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    try:
        open_notebook(page, lab, f"notebooks/{name}")
        run_all(page)
        screenshot_notebook(page, ARTIFACTS / f"lab-{stem}.png")

        cells = page.evaluate(CODE_CELLS)
        errors = shown_errors(cells)
        assert not errors, f"{name} shows errors in JupyterLab:\n" + "\n".join(errors)
        not_run = [c["index"] for c in cells if not c["blank"] and c["count"] is None]
        assert not not_run, f"{name}: cells {not_run} did not run"
        for line in shown_warnings(cells):
            warnings.warn(f"{name} writes to stderr: {line}", stacklevel=1)

        # The player: one, drawn by the widget (anywidget) from the kernel's first frame.
        player = page.locator(".jp-OutputArea-output .wfp-player")
        player.wait_for(timeout=STEP_MS)
        assert player.count() == 1, f"{name}: {player.count()} players"
        show_whole(page, player)
        wait_for_step(page, player, 1)
        first = player_state(player)
        assert first["pos"].startswith("step 1 of "), first["pos"]
        assert first["node"].startswith("layer-"), "no layer is highlighted on the map"
        frame1 = player.screenshot(animations="disabled")
        assert player.screenshot(animations="disabled") == frame1, "the picture moves by itself"

        # ▶▶: one step on, through the kernel (the browser asks, the kernel sends the frame).
        player.locator('button[data-a="step"]').click()
        wait_for_step(page, player, 2)
        second = player_state(player)
        assert second["pos"].startswith("step 2 of "), second["pos"]
        assert second["node"] != first["node"], "▶▶ did not move the highlight to another layer"
        assert second["insp"] != first["insp"], "▶▶ did not change the inspector"

        # ▶: plays (2 steps a second) until paused.
        play = player.locator('button[data-a="play"]')
        play.click()
        wait_for_label(page, play, "❚❚")  # playing: the button offers pause
        wait_for_step(page, player, 4)
        play.click()
        wait_for_label(page, play, "▶")  # paused
        third = settled(page, player)
        show_whole(page, player)
        frame2 = player.screenshot(animations="disabled")
        assert third["pos"] != second["pos"] and third["insp"] != second["insp"], third["pos"]
        assert frame2 != frame1, "the player's picture did not change between the frames"
        if stem.startswith("06"):
            (ARTIFACTS / "lab-06-player-frame1.png").write_bytes(frame1)
            (ARTIFACTS / "lab-06-player-frame2.png").write_bytes(frame2)

        # Nothing in the page failed: no uncaught exception, no error appeared since. Console
        # errors are reported, not failed on: JupyterLab itself may log some that are benign.
        assert not uncaught, f"{name}: uncaught errors in the page: {uncaught}"
        assert not shown_errors(page.evaluate(CODE_CELLS)), f"{name}: errors after playing"
        for text in console:
            warnings.warn(f"{name}: console error in JupyterLab: {text[:300]}", stacklevel=1)
    finally:
        context.close()


def test_scripts_lab_serves_tutorials_and_exercises() -> None:
    """scripts/lab serves a root holding notebooks/ and exercises/, opening the tutorials."""
    shown = subprocess.run(
        ["bash", str(ROOT / "scripts" / "lab"), "--print-command"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    root = Path(re.search(r"--ServerApp.root_dir=(\S+)", shown).group(1))  # type: ignore[union-attr]
    assert (root / "notebooks").is_dir() and (root / "exercises").is_dir()
    assert "--ServerApp.default_url=/lab/tree/notebooks/" in shown


def test_exercise_notebook_checks_in_jupyterlab(browser: Any, lab: Lab) -> None:
    """A student opens an exercise from the lab's root and runs it: check(...) shows its report
    (the untouched stub: every check fails with feedback), and no cell errors."""
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    try:
        open_notebook(page, lab, EXERCISE)
        run_all(page)
        screenshot_notebook(page, ARTIFACTS / "lab-exercise-ex03.png")
        cells = page.evaluate(CODE_CELLS)
        errors = shown_errors(cells)
        assert not errors, f"{EXERCISE} shows errors in JupyterLab:\n" + "\n".join(errors)
        shown = "\n".join(text for c in cells for text in c["shown"])
        assert "checks passed" in shown, shown[-2000:]
        assert "ex03" in shown
    finally:
        context.close()
