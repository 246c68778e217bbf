"""``check("exNN")`` in the browser classroom gives the command line's feedback, check by check.

For each exercise chosen (:func:`chosen`): open its ``exercise.ipynb`` in the JupyterLite site
(headless Chromium, every request outside loopback aborted, a fresh browser context: a
student's first visit), Run All on the shipped stub, and compare the check cell's report with
``wfpsim exercise check exNN`` run on the same file in a process on this machine: the same
header, the same checks in the same order with the same verdict and feedback, the same total.
Then the reference solution (never in the site: read from this checkout) is saved into the
page's ``student.py`` as a student would save theirs, Run All again, and the same comparison
holds, now with every check passed. Every code cell must get an execution count both times (a
kernel that failed hangs at ``[*]`` without any error).

Each exercise starts a Pyodide kernel of its own, so the suite runs exercise 01 and one other
exercise in turn (by the UTC day); ``WFPSIM_SITE_EXERCISES=all`` runs every one,
``WFPSIM_SITE_EXERCISES=ex03,06`` some.
"""

# ruff: noqa: F811 - the tests take the fixtures imported from site_helpers as arguments

from __future__ import annotations

import datetime
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from site_helpers import (  # noqa: F401 - fixtures, found by name
    ARTIFACTS,
    ROOT,
    browser,
    open_notebook,
    problems,
    run_all,
    served,
    site,
    student,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Every exercise folder, in order.
ALL_EXERCISES = sorted(p.name for p in (ROOT / "exercises").glob("ex[0-9][0-9]_*") if p.is_dir())
#: Always run: the first exercise (writing filters, the check most students meet first).
FIXED = "ex01"


def chosen(choice: str | None, day: int, folders: list[str] = ALL_EXERCISES) -> list[str]:
    """The exercise folders whose check the suite runs in the browser.

    By default :data:`FIXED` and one of the others in turn, by the day (a different one each
    UTC day, every one within three weeks). ``choice`` (``WFPSIM_SITE_EXERCISES``): ``all``,
    or ids separated by commas (``ex03,ex06``, also ``03`` or the folder name).

    >>> chosen(None, 0, ["ex01_a", "ex02_b", "ex03_c"])
    ['ex01_a', 'ex02_b']
    >>> chosen(None, 1, ["ex01_a", "ex02_b", "ex03_c"])
    ['ex01_a', 'ex03_c']
    >>> chosen("3, ex02", 0, ["ex01_a", "ex02_b", "ex03_c"])
    ['ex02_b', 'ex03_c']
    """
    if not choice:
        fixed = [f for f in folders if f.split("_")[0] == FIXED]
        others = [f for f in folders if f not in fixed]
        return fixed + ([others[day % len(others)]] if others else [])
    if choice.strip() == "all":
        return list(folders)
    wanted = set()
    for word in (w.strip() for w in choice.split(",") if w.strip()):
        digits = word[2:] if word.startswith("ex") else word
        wanted.add(f"ex{int(digits[:2]):02d}" if digits[:2].isdigit() else word)
    picked = [f for f in folders if f.split("_")[0] in wanted or f in wanted]
    if not picked:
        raise ValueError(f"WFPSIM_SITE_EXERCISES={choice!r} names no exercise in exercises/")
    return picked


EXERCISES = chosen(
    os.environ.get("WFPSIM_SITE_EXERCISES"),
    datetime.datetime.now(datetime.UTC).date().toordinal(),
)

_ROW = re.compile(r"^  \[(pass|FAIL)\] ")


def parts(report: str) -> dict[str, Any]:
    """A report's text (``CheckReport.__str__``) cut into its header, problem, checks, total.

    Each check is its ``[pass]``/``[FAIL]`` line with the feedback lines under it.

    >>> p = parts("ex01 · T — student.py\\n  [FAIL] a\\n         why\\n  [pass] b\\n1 of 2 checks")
    >>> p["checks"], p["total"]
    (['[FAIL] a\\nwhy', '[pass] b'], '1 of 2 checks')
    """
    lines = report.strip("\n").splitlines()
    header, problem, checks, rest = lines[0] if lines else "", [], [], []
    for line in lines[1:]:
        if _ROW.match(line) and not rest:
            checks.append(line.strip())
        elif checks and not rest and line.startswith("         "):
            checks[-1] += "\n" + line.strip()
        elif not checks and not rest and line.startswith("  "):
            problem.append(line.strip())
        else:
            rest.append(line)
    return {"header": header, "problem": problem, "checks": checks, "total": "\n".join(rest)}


#: The temporary copy each check runs in (wfpsim.exercise.isolation): a new name every run.
_COPY = re.compile(r"\S*wfpsim-check-[^/\s]+")


def differences(page: str, cli: str) -> list[str]:
    """How the page's report differs from the command line's, part by part and check by check.

    >>> differences("x\\n  [pass] a\\n1 of 1", "x\\n  [pass] a\\n1 of 1")
    []
    >>> differences("x /tmp/wfpsim-check-a1/f", "x /tmp/wfpsim-check-b2/f")  # the copy's name
    []
    >>> differences("x\\n  [pass] a\\n1 of 1", "x\\n  [FAIL] a\\n0 of 1")[0]
    "total: page '1 of 1' / command line '0 of 1'"
    """
    mine, theirs = parts(_COPY.sub("<copy>", page)), parts(_COPY.sub("<copy>", cli))
    found = [
        f"{key}: page {mine[key]!r} / command line {theirs[key]!r}"
        for key in ("header", "problem", "total")
        if mine[key] != theirs[key]
    ]
    if len(mine["checks"]) != len(theirs["checks"]):
        found.append(
            f"the page shows {len(mine['checks'])} checks, the command line {len(theirs['checks'])}"
        )
    for n, (a, b) in enumerate(zip(mine["checks"], theirs["checks"], strict=False), 1):
        if a != b:
            found.append(f"check {n}:\n  page:         {a!r}\n  command line: {b!r}")
    return found


def command_line(folder: str, student_text: str, tmp: Path) -> str:
    """``wfpsim exercise check exNN`` on a copy of the exercise whose student.py is ``student_text``."""
    root = tmp / "exercises"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(
        ROOT / "exercises" / folder,
        root / folder,
        ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"),
    )
    (root / folder / "student.py").write_text(student_text)
    done = subprocess.run(
        [sys.executable, "-m", "wfpsim", "exercise", "check", folder[:4], "--root", str(root)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode in (0, 1), f"wfpsim exercise check failed:\n{done.stderr[-3000:]}"
    return done.stdout


def page_report(cells: list[dict[str, Any]], exercise_id: str) -> tuple[str, str]:
    """The check cell's report as text (its ``text/plain``) and as shown (the rendered HTML)."""
    call = f'check("{exercise_id}")'
    found = [c for c in cells if call in c["source"]]
    assert found, f"no code cell calls {call}"
    cell = found[-1]
    plain = [o["plain"] for o in cell["outputs"] if o["plain"]]
    assert plain, f"the cell with {call} shows no report: {cell['outputs']}"
    return plain[-1], "\n".join(cell["shown"])


def same_as_command_line(cells: list[dict[str, Any]], folder: str, cli: str) -> str:
    """Assert the page's report is the command line's, check by check; the page's text."""
    text, shown = page_report(cells, folder[:4])
    found = differences(text, cli)
    assert found == [], "\n".join([f"{folder}: the page's report differs:", *found])
    for row in parts(cli)["checks"]:  # and what the page renders says the same
        for line in row.split("\n"):
            if line == "(the same as above)":  # the text's shorthand; the page repeats it
                continue
            words = line.split("] ", 1)[-1] if line.startswith("[") else line
            words = re.sub(r" \[\d+ points\]$", "", words.replace(" (hidden)", ""))
            assert words in shown, f"{words!r} is not shown in the page:\n{shown[-3000:]}"
    return text


@pytest.mark.parametrize("folder", EXERCISES)
def test_check_gives_the_command_lines_feedback_in_the_browser(
    student: Any, served: str, folder: str, tmp_path: Path
) -> None:
    """The stub's report and the reference solution's (saved into student.py in the page) are
    the command line's, check by check; every cell runs both times."""
    context, blocked = student
    ARTIFACTS.mkdir(exist_ok=True)
    notebook = f"exercises/{folder}/exercise.ipynb"
    stub = (ROOT / "exercises" / folder / "student.py").read_text()
    solution = (ROOT / "exercises" / "solutions" / f"{folder}.py").read_text()
    page = context.new_page()
    uncaught: list[str] = []
    page.on("pageerror", lambda e: uncaught.append(str(e)))
    try:
        open_notebook(page, served, notebook)
        cells, _ = run_all(page)
        assert problems(cells) == [], "\n".join(problems(cells))
        cli = command_line(folder, stub, tmp_path)
        assert "checks passed" in cli and "all pass." not in cli, cli  # the stub fails
        same_as_command_line(cells, folder, cli)

        page.evaluate(  # the student saves their file in the browser's editor
            """([path, text]) => window.jupyterapp.serviceManager.contents.save(path,
                 { type: "file", format: "text", content: text })""",
            [f"exercises/{folder}/student.py", solution],
        )
        cells, _ = run_all(page)
        page.screenshot(path=str(ARTIFACTS / f"site-{folder[:4]}.png"))
        assert problems(cells) == [], "\n".join(problems(cells))
        cli = command_line(folder, solution, tmp_path)
        assert "all pass." in cli, cli
        same_as_command_line(cells, folder, cli)
    finally:
        page.close()
    assert uncaught == []
    assert blocked == [], f"requests left loopback: {blocked[:5]}"
