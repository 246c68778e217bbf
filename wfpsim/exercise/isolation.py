"""Running a student's file apart from the checks: two processes, copies, a time limit.

:func:`run_checks` copies the exercise folder (never ``solutions/`` or ``hidden/``) twice into a
temporary folder and starts two processes (:mod:`wfpsim.exercise.processes`):

* the **student's process** (:mod:`wfpsim.exercise.host`), in the copy that holds the file to
  check as ``student.py``, with memory, CPU-time and file-size limits and an audit hook that keeps
  the instructors' folders, the other submissions and the judge's copy out of reach;
* the **judge** (:mod:`wfpsim.exercise.judge`), in the copy without the student's file, which
  loads the checks (and the hidden checks) and runs them — the engine, the stack, every trace and
  every verdict live there. The student's code never runs in it: the checks see the student's
  module through a channel (:mod:`wfpsim.exercise.bridge`), which copies values over and forwards
  calls, so the student's process only ever *answers* (a policy's filters, a callout's writes to
  ``classify_out``, the kernel calls it makes, a prediction) and the judge decides.

The results come back from the judge as JSON lines on a pipe only it holds, check by check, so a
student's file that exits, is killed, hangs or runs out of memory fails with a message that says
so — every check it did not finish fails, never passes — and nothing the student's process does
to itself (a patched checker, a forged result, a replaced engine function) reaches a verdict.

An exercise whose checks cannot work through the channel yet says ``ISOLATION = "same-process"``
in ``checks.py``: it is checked in one process (:mod:`wfpsim.exercise.child`'s ``check`` mode),
where a fingerprint of the checker and the engine, taken before the student's file runs and
compared after each check, is what protects the verdict.

In the browser classroom (Pyodide, ``sys.platform == "emscripten"``) no process can be started:
there the same request runs in the page's own interpreter (:func:`~wfpsim.exercise.processes.
in_page`), one-process mode, on the same temporary copy, with the same feedback — without the
time, memory and file limits and without the judge's boundary, which only processes of their own
can give (the student's browser is the student's own machine).

What this is not: a security sandbox. A file written to attack the grading machine (not the
grade) runs with the grader's user rights; for that, grade in a container (otter's Docker mode,
see ``INSTRUCTORS.md``).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from wfpsim.errors import InvalidParameterError, NotFoundError
from wfpsim.exercise.checking import Check, CheckReport, checks_of, load_module
from wfpsim.exercise.finding import Exercise
from wfpsim.exercise.processes import Run, spawn, spawn_pair

#: Seconds one file may take for all the checks of one exercise.
DEFAULT_TIMEOUT = 30.0
#: Address space (MiB) the checking process may use.
DEFAULT_MEMORY_MB = 1024


@dataclass(frozen=True, slots=True)
class Listing:
    """An exercise's checks as the instructors wrote them (loaded in the grading process)."""

    checks: tuple[Check, ...]
    student_data: tuple[str, ...]
    #: ``"judge"`` (the default: two processes) or ``"same-process"`` (``ISOLATION`` in checks.py)
    isolation: str = "judge"

    @property
    def points(self) -> int:
        """The exercise's full points."""
        return sum(c.points for c in self.checks)


@cache
def _listing(checks_path: Path, hidden_path: Path | None, mtimes: tuple[float, ...]) -> Listing:
    public = load_module(checks_path, "listing")
    found = list(checks_of(public, False))
    if hidden_path is not None:
        found += checks_of(load_module(hidden_path, "listing_hidden"), True)
    data = tuple(str(n) for n in getattr(public, "STUDENT_DATA", ()))
    isolation = str(getattr(public, "ISOLATION", "judge"))
    if isolation not in ("judge", "same-process"):
        raise InvalidParameterError(
            f"{checks_path}: ISOLATION = {isolation!r}; valid: 'judge', 'same-process'"
        )
    return Listing(tuple(found), data, isolation)


def listing(ex: Exercise, hidden: bool) -> Listing:
    """The checks of ``ex`` (public, and hidden ones when asked), their points and data names.

    Raises:
        NotFoundError: the checks (or the hidden checks) are missing.
    """
    files = [ex.checks_path] + ([ex.hidden_path] if hidden else [])
    for file in files:
        if not file.is_file():
            raise NotFoundError(
                f"{ex.id}: {file} does not exist (a hand-out has no solutions/ and no hidden/)"
            )
    mtimes = tuple(f.stat().st_mtime for f in files)
    return _listing(ex.checks_path, ex.hidden_path if hidden else None, mtimes)


def _protected(ex: Exercise, extra: tuple[Path, ...]) -> list[str]:
    root = ex.folder.parent
    return [str(p.resolve()) for p in (root, *extra)]


def _copy(ex: Exercise, base: Path) -> Path:
    folder = base / "exercises" / ex.folder.name
    shutil.copytree(ex.folder, folder, ignore=shutil.ignore_patterns("__pycache__", "student.py"))
    return folder


def run_checks(
    ex: Exercise,
    path: Path,
    target: str,
    *,
    hidden: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    memory_mb: int = DEFAULT_MEMORY_MB,
    seed: str | None = None,
    protect: tuple[Path, ...] = (),
) -> CheckReport:
    """Check the file ``path`` against ``ex``'s checks in separate processes (module docstring).

    Args:
        ex: the exercise (from the instructors' tree, with ``hidden/`` when ``hidden``).
        path: the student's file.
        target: how the report names the file.
        hidden: also run the hidden checks.
        timeout: seconds for the whole run.
        memory_mb: address space limit of each checking process.
        seed: the student's variant (see :mod:`wfpsim.exercise.variants`).
        protect: more folders the student's file must not read (the other submissions).
    """
    found = listing(ex, hidden)
    with tempfile.TemporaryDirectory(prefix="wfpsim-check-") as tmp:
        student_side, judge_side = Path(tmp) / "student", Path(tmp) / "judge"
        folder = _copy(ex, student_side)
        shutil.copyfile(path, folder / "student.py")
        base = {
            "id": ex.id,
            "student": str(folder / "student.py"),
            "hidden": None,
            "memory_mb": memory_mb,
            "cpu_seconds": int(timeout) + 2,
            "seed": seed,
        }
        protected = [*_protected(ex, protect), str(judge_side)]
        if sys.platform == "emscripten" or found.isolation == "same-process":
            if hidden:
                base["hidden"] = _copy_hidden(ex, student_side)
            run = _one_process(found, base, folder, protected, timeout)
            return _report(ex, target, found, run)
        judging = _copy(ex, judge_side)
        if hidden:
            base["hidden"] = _copy_hidden(ex, judge_side)
        student_request = {**base, "mode": "host", "protected": protected, "hidden": None}
        judge_request = {
            **base,
            "mode": "judge",
            "checks": str(judging / "checks.py"),
            "protected": [*_protected(ex, protect), str(student_side)],
        }
        run = spawn_pair(student_request, folder, judge_request, judging, timeout)
    return _report(ex, target, found, run)


def _copy_hidden(ex: Exercise, base: Path) -> str:
    (base / "exercises" / "hidden").mkdir()
    copy = base / "exercises" / "hidden" / f"{ex.id}.py"
    shutil.copyfile(ex.hidden_path, copy)
    return str(copy)


def _one_process(
    found: Listing,
    base: dict[str, Any],
    folder: Path,
    protected: list[str],
    timeout: float,
) -> Run:
    """The checks in the student's own process (the browser; ``ISOLATION = "same-process"``)."""
    base = {**base, "checks": str(folder / "checks.py"), "protected": protected}
    started = time.monotonic()
    if found.student_data:
        first = spawn({**base, "mode": "data", "names": list(found.student_data)}, folder, timeout)
        data = next((m["data"] for m in first.messages if "data" in m), None)
        if data is None:
            return first
        (folder / "student.py").unlink()
        left = max(timeout - (time.monotonic() - started), 5.0)
        return spawn({**base, "mode": "answers", "data": data}, folder, left)
    return spawn({**base, "mode": "check"}, folder, timeout)


def _report(ex: Exercise, target: str, found: Listing, run: Run) -> CheckReport:
    problem = run.problem
    results: dict[tuple[str, bool], str] = {}
    reveal = ""
    for message in run.messages:
        if "load" in message:
            problem = str(message["load"])
        elif "problem" in message:
            problem = str(message["problem"])
        elif "result" in message and isinstance(message["result"], dict):
            r = message["result"]  # the last line for a check wins: the checker writes it last
            results[(str(r.get("name")), bool(r.get("hidden")))] = str(r.get("message"))
        elif "reveal" in message:
            reveal = str(message["reveal"])
    if any(("problem" in m or "load" in m) for m in run.messages):
        results = {}  # a file that failed to load or changed the checker earns nothing
    rows = []
    for c in found.checks:
        key = (c.name, c.hidden)
        if key in results:
            rows.append(c.result(not results[key], results[key]))
        else:
            rows.append(c.result(False, problem or "this check did not run."))
    report = CheckReport(ex, target, tuple(rows), reveal, problem)
    return report if report.passed else CheckReport(ex, target, tuple(rows), "", problem)


def missing(ex: Exercise, target: str, hidden: bool, why: str) -> CheckReport:
    """The report of a file that is not there: every check failed, saying why."""
    found = listing(ex, hidden)
    rows = tuple(c.result(False, why) for c in found.checks)
    return CheckReport(ex, target, rows, "", why)
