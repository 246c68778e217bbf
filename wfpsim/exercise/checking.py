"""Checks and their reports: the verdict (:class:`CheckFailed`), one result per check, points.

A check is a function ``check_<name>(m)`` of a checks file, run in file order; ``m`` is the
student's module — in the grader, a stand-in for the module loaded in the student's own process
(:mod:`wfpsim.exercise.judge`), in the browser the module itself — and the first docstring line
says what the check looks at. It passes by returning and fails by raising :class:`CheckFailed`
(use :func:`expect`) with feedback that says what is wrong, not what the answer is. Whatever else
the student's code raises is reported in one line.

A checks file may define:

- ``POINTS = {"name": 3}``: a check worth more than the default 1 point;
- ``STUDENT_DATA = ("PREDICTIONS", ...)``: the checks read only these plain values (answers, no
  code); the browser classroom then judges them as data too (the grader always does);
- ``ISOLATION = "same-process"``: run the checks in the student's process, guarded by a
  fingerprint only (for checks that cannot work through the judge's channel; none here does);
- ``reveal(m) -> str``: shown once every check passes.

:class:`CheckFailed` is the checks' verdict, caught by the runner; it is not an engine error, so it
is not a :class:`~wfpsim.errors.WfpError`.
"""

from __future__ import annotations

import html
import importlib.util
import re
import sys
import traceback
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any

from wfpsim.errors import InvalidParameterError, WfpError
from wfpsim.exercise.finding import Exercise


class CheckFailed(AssertionError):
    """A check's verdict: the work does not do what the task asks (the message says what)."""


def expect(condition: object, message: str) -> None:
    """Fail the running check with ``message`` unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(message)


def expect_no_faults(*items: Any) -> None:
    """Fail when a callout raised while classifying (a ``Classification`` or a ``Journey``)."""
    for item in items:
        traces = [s.classification for s in item.steps] if hasattr(item, "verdict") else [item]
        for c in traces:
            for fault in c.faults:
                text = re.sub(r"\(at [^)]*?([^/\\)]+):(\d+)\)", r"(\1, line \2)", fault)
                raise CheckFailed(f"your callout raised an exception at {c.layer}: {text}")
        for fault in item.faults if hasattr(item, "verdict") else ():  # the stack's findings
            raise CheckFailed(f"the stack reported a fault of your driver: {fault}")


_loads = 0


def load_module(path: Path, label: str) -> ModuleType:
    """Execute a Python file as a fresh module (edits are seen at the next load)."""
    global _loads
    _loads += 1
    name = f"wfpsim_exercise_{label}_{_loads}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise InvalidParameterError(f"{path} is not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses in the file look their module up while executing
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    return module


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check: what it looks at, whether it passed, the feedback and its points."""

    name: str
    description: str
    passed: bool
    message: str = ""
    hidden: bool = False
    points: int = 1

    @property
    def earned(self) -> int:
        """The points this check gave: all of them when it passed, none otherwise."""
        return self.points if self.passed else 0


@dataclass(frozen=True, slots=True)
class CheckReport:
    """Every check of one exercise against one file; Jupyter shows it, ``print`` prints it.

    ``problem`` is set when the student's file could not be checked at all (it exited, hung, ran
    out of memory, changed the checker): every check then failed with that message.
    """

    exercise: Exercise
    target: str
    results: tuple[CheckResult, ...]
    reveal: str = ""
    problem: str = ""

    @property
    def passed(self) -> bool:
        """Every check passed (and there was at least one)."""
        return bool(self.results) and all(r.passed for r in self.results) and not self.problem

    @property
    def score(self) -> tuple[int, int]:
        """(checks passed, checks run)."""
        return sum(r.passed for r in self.results), len(self.results)

    @property
    def points(self) -> tuple[int, int]:
        """(points earned, points possible)."""
        return sum(r.earned for r in self.results), sum(r.points for r in self.results)

    def public_only(self) -> CheckReport:
        """The same report without the hidden checks (what a student may be shown)."""
        return replace(self, results=tuple(r for r in self.results if not r.hidden))

    def to_json(self) -> dict[str, Any]:
        """The ``wfpsim exercise check --json`` document."""
        ex = self.exercise
        head = {"id": ex.id, "title": ex.title, "target": self.target, "passed": self.passed}
        return {
            **head,
            "score": list(self.score),
            "points": list(self.points),
            "problem": self.problem,
            "results": [asdict(r) for r in self.results],
        }

    def __str__(self) -> str:
        lines, previous = [f"{self.exercise.id} · {self.exercise.title} — {self.target}"], ""
        if self.problem:
            lines.append(f"  {self.problem}")
        for r in self.results:
            tag = " (hidden)" if r.hidden else ""
            pts = f" [{r.points} points]" if r.points != 1 else ""
            lines.append(f"  [{'pass' if r.passed else 'FAIL'}] {r.description}{tag}{pts}")
            if not r.passed:
                same = r.message == previous
                body = ["(the same as above)"] if same else r.message.splitlines()
                lines += [f"         {line}" for line in body]
                previous = r.message
        done, total = self.score
        earned, possible = self.points
        lines.append(
            f"{done} of {total} checks passed ({earned} of {possible} points): "
            f"{'all pass.' if self.passed else 'not yet.'}"
        )
        if self.passed and self.reveal:
            lines += ["", self.reveal]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        esc, ex = html.escape, self.exercise
        rows = "".join(
            f'<li style="list-style:none"><b style="color:{"#2e7d32" if r.passed else "#c62828"}">'
            f"{'✔' if r.passed else '✘'}</b> {esc(r.description)}"
            f"{' <i>(hidden)</i>' if r.hidden else ''}"
            f"{f' <small>[{r.points} points]</small>' if r.points != 1 else ''}"
            f"{'' if r.passed else '<br>' + esc(r.message)}</li>"
            for r in self.results
        )
        problem = f"<p><b>{esc(self.problem)}</b></p>" if self.problem else ""
        reveal = f"<pre>{esc(self.reveal)}</pre>" if self.passed and self.reveal else ""
        done, total = self.score
        return (
            f"<div><b>{esc(ex.id)} · {esc(ex.title)}</b> — {esc(self.target)}{problem}"
            f"<ul>{rows}</ul><b>{done} of {total} checks passed</b>{reveal}</div>"
        )


def explain_exception(err: BaseException, path: Path) -> str:
    """One friendly line for an exception raised by the student's code (no traceback)."""
    frames = [f for f in traceback.extract_tb(err.__traceback__) if Path(f.filename) == path]
    where = ""
    if frames:
        last = frames[-1]
        place = "at import" if last.name == "<module>" else f"in {last.name}"
        where = f"{path.name}, line {last.lineno}, {place}"
    at = f" ({where})" if where else ""
    if isinstance(err, NotImplementedError):
        func = frames[-1].name if frames else "a function"
        return f"{func} is not written yet: it still raises NotImplementedError{at}."
    if isinstance(err, SyntaxError):
        return f"{path.name} does not compile: line {err.lineno}: {err.msg}."
    if isinstance(err, SystemExit):
        return f"your file called sys.exit({err.code!r}){at}: a graded file must not exit."
    if isinstance(err, MemoryError):
        return f"your file ran out of memory{at}: the grader allows a limited amount."
    if isinstance(err, RecursionError):
        return f"your code recursed without end{at}."
    if isinstance(err, WfpError):
        return f"the engine refused a call{at}: {err}"
    return f"{type(err).__name__}: {err}{at}"


@dataclass(frozen=True, slots=True)
class Check:
    """One check function of a checks file, with what it looks at and its points."""

    name: str
    description: str
    points: int
    hidden: bool
    run: Callable[[Any], object]

    def result(self, passed: bool, message: str = "") -> CheckResult:
        """This check's result."""
        return CheckResult(self.name, self.description, passed, message, self.hidden, self.points)


def checks_of(suite: ModuleType, hidden: bool) -> Iterator[Check]:
    """The ``check_*`` functions a checks module defines, in file order."""
    points = getattr(suite, "POINTS", {})
    for name, fn in vars(suite).items():
        if name.startswith("check_") and callable(fn) and fn.__module__ == suite.__name__:
            short = name.removeprefix("check_")
            doc = (fn.__doc__ or short.replace("_", " ")).strip().splitlines()[0]
            yield Check(short, doc, int(points.get(short, 1)), hidden, fn)
