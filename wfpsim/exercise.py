"""Exercises: find them, check a student's file (or the reference solution), report.

An exercise is a folder ``exercises/exNN_<slug>/`` with ``exercise.toml`` (title, kind, topics,
the tutorial it follows), ``student.py`` (what the student fills in), ``checks.py`` (the public
checks) and ``exercise.ipynb``. Reference solutions live apart in
``exercises/solutions/exNN_<slug>.py`` and hidden checks in ``exercises/hidden/exNN.py``, so a
hand-out is the folder without those two.

A check is a function ``check_<name>(m)`` of a checks file, run in file order; ``m`` is the
student's module, loaded afresh for every check, and the first docstring line says what the
check looks at. It passes by returning and fails by raising :class:`CheckFailed` (use
:func:`expect`) with feedback that says what is wrong, not what the answer is. Whatever else the
student's code raises is reported in one line. A checks file may define ``reveal(m) -> str``,
shown once every check passes. :class:`CheckFailed` is the checks' verdict, caught here; it
is not an engine error, so it is not a :class:`~wfpsim.errors.WfpError`.

Where ``exercises/`` is found (first match): the ``root`` argument (``--root``: the folder itself
or a folder holding it); ``$WFPSIM_EXERCISES``; the current directory or one of its parents;
the repository this package is installed from (editable install).

>>> [e.id for e in exercises()][:2]
['ex01', 'ex02']
"""

from __future__ import annotations

import argparse
import html
import importlib.util
import io
import json
import os
import re
import sys
import tomllib
import traceback
from collections.abc import Callable, Sequence
from contextlib import redirect_stdout
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from wfpsim.errors import InvalidParameterError, NotFoundError, WfpError

ENV_ROOT = "WFPSIM_EXERCISES"
FOLDER = re.compile(r"^(ex\d\d)_[a-z0-9_]+$")
META_KEYS = {"title", "kind", "topics", "follows", "summary"}


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


@dataclass(frozen=True, slots=True)
class Exercise:
    """One exercise folder and its metadata (``exercise.toml``)."""

    id: str
    title: str
    kind: str
    topics: tuple[str, ...]
    follows: str
    summary: str
    folder: Path

    @property
    def student_path(self) -> Path:
        """The student's file."""
        return self.folder / "student.py"

    @property
    def checks_path(self) -> Path:
        """The public checks."""
        return self.folder / "checks.py"

    @property
    def solution_path(self) -> Path:
        """The reference solution (absent from a hand-out)."""
        return self.folder.parent / "solutions" / f"{self.folder.name}.py"

    @property
    def hidden_path(self) -> Path:
        """The hidden checks (absent from a hand-out)."""
        return self.folder.parent / "hidden" / f"{self.id}.py"

    def to_json(self) -> dict[str, Any]:
        """The ``wfpsim exercise list --json`` entry."""
        return {
            "id": self.id,
            "title": self.title,
            "topics": list(self.topics),
            "kind": self.kind,
            "follows": self.follows,
        }


def _has_exercises(folder: Path) -> bool:
    return folder.is_dir() and any(
        FOLDER.match(p.name) and (p / "exercise.toml").is_file() for p in folder.iterdir()
    )


def find_root(root: str | Path | None = None) -> Path:
    """The ``exercises/`` folder (the search order is in the module docstring).

    Raises:
        NotFoundError: no exercises where it looked.
    """
    given = root if root is not None else os.environ.get(ENV_ROOT) or None
    here = Path.cwd()
    places = [Path(given).expanduser()] if given else [here, *here.parents]
    for folder in places:
        for candidate in (folder, folder / "exercises"):
            if _has_exercises(candidate):
                return candidate.resolve()
    repo = Path(__file__).resolve().parent.parent / "exercises"
    if not given and _has_exercises(repo):
        return repo
    where = f"in {given}" if given else f"in {here}, its parents or {repo.parent}"
    raise NotFoundError(
        f"no exercises {where}: expected exNN_<name>/exercise.toml folders there or in an "
        f"exercises/ folder inside; pass root= (--root) or set ${ENV_ROOT}"
    )


def _load_meta(folder: Path, ex_id: str) -> Exercise:
    path = folder / "exercise.toml"
    try:
        meta = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise InvalidParameterError(f"{path}: not valid TOML: {err}") from None
    unknown, missing = set(meta) - META_KEYS, META_KEYS - {"summary"} - set(meta)
    if unknown or missing:
        raise InvalidParameterError(
            f"{path}: unknown keys {sorted(unknown)}, missing keys {sorted(missing)}; valid: "
            + ", ".join(sorted(META_KEYS))
        )
    topics = tuple(str(t) for t in meta["topics"])
    title, kind, follows = (str(meta[k]) for k in ("title", "kind", "follows"))
    return Exercise(ex_id, title, kind, topics, follows, str(meta.get("summary", "")), folder)


def exercises(root: str | Path | None = None) -> list[Exercise]:
    """Every exercise under the root, by id."""
    found = [(FOLDER.match(f.name), f) for f in sorted(find_root(root).iterdir())]
    return [_load_meta(f, m.group(1)) for m, f in found if m and (f / "exercise.toml").is_file()]


def get(exercise_id: str, root: str | Path | None = None) -> Exercise:
    """One exercise by id (``ex03``, ``3``, ``03`` or the folder name).

    Raises:
        InvalidParameterError: no exercise of that id.
    """
    text = str(exercise_id).strip().lower()
    text = f"ex{int(text):02d}" if text.isdigit() else text
    every = exercises(root)
    for ex in every:
        if text in (ex.id, ex.folder.name):
            return ex
    valid = ", ".join(e.id for e in every)
    raise InvalidParameterError(f"no exercise {exercise_id!r}; valid: {valid}")


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


def student(exercise_id: str, root: str | Path | None = None) -> ModuleType:
    """The student's file of an exercise, freshly loaded (to try it out in a notebook)."""
    ex = get(exercise_id, root)
    return load_module(ex.student_path, f"{ex.id}_student")


def public_checks(hidden_file: str | Path) -> ModuleType:
    """The public checks of the exercise a hidden checks file (``hidden/exNN.py``) extends."""
    path = Path(hidden_file).resolve()
    ex = get(path.stem, path.parent.parent)
    return load_module(ex.checks_path, f"{ex.id}_checks")


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check: what it looks at, whether it passed, and the feedback."""

    name: str
    description: str
    passed: bool
    message: str = ""
    hidden: bool = False


@dataclass(frozen=True, slots=True)
class CheckReport:
    """Every check of one exercise against one file; Jupyter shows it, ``print`` prints it."""

    exercise: Exercise
    target: str
    results: tuple[CheckResult, ...]
    reveal: str = ""

    @property
    def passed(self) -> bool:
        """Every check passed (and there was at least one)."""
        return bool(self.results) and all(r.passed for r in self.results)

    @property
    def score(self) -> tuple[int, int]:
        """(checks passed, checks run)."""
        return sum(r.passed for r in self.results), len(self.results)

    def to_json(self) -> dict[str, Any]:
        """The ``wfpsim exercise check --json`` document."""
        ex = self.exercise
        head = {"id": ex.id, "title": ex.title, "target": self.target, "passed": self.passed}
        return {**head, "score": list(self.score), "results": [asdict(r) for r in self.results]}

    def __str__(self) -> str:
        lines, previous = [f"{self.exercise.id} · {self.exercise.title} — {self.target}"], ""
        for r in self.results:
            tag = " (hidden)" if r.hidden else ""
            lines.append(f"  [{'pass' if r.passed else 'FAIL'}] {r.description}{tag}")
            if not r.passed:
                same = r.message == previous
                body = ["(the same as above)"] if same else r.message.splitlines()
                lines += [f"         {line}" for line in body]
                previous = r.message
        done, total = self.score
        lines.append(
            f"{done} of {total} checks passed: {'all pass.' if self.passed else 'not yet.'}"
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
            f"{'' if r.passed else '<br>' + esc(r.message)}</li>"
            for r in self.results
        )
        reveal = f"<pre>{esc(self.reveal)}</pre>" if self.passed and self.reveal else ""
        done, total = self.score
        return (
            f"<div><b>{esc(ex.id)} · {esc(ex.title)}</b> — {esc(self.target)}<ul>{rows}</ul>"
            f"<b>{done} of {total} checks passed</b>{reveal}</div>"
        )


def explain_exception(err: BaseException, path: Path) -> str:
    """One friendly line for an exception raised by the student's code (no traceback)."""
    frames = [f for f in traceback.extract_tb(err.__traceback__) if Path(f.filename) == path]
    where = f"{path.name}, line {frames[-1].lineno}, in {frames[-1].name}" if frames else ""
    at = f" ({where})" if where else ""
    if isinstance(err, NotImplementedError):
        func = frames[-1].name if frames else "a function"
        return f"{func} is not written yet: it still raises NotImplementedError{at}."
    if isinstance(err, SyntaxError):
        return f"{path.name} does not compile: line {err.lineno}: {err.msg}."
    if isinstance(err, WfpError):
        return f"the engine refused a call{at}: {err}"
    return f"{type(err).__name__}: {err}{at}"


def _run(fn: Callable[[ModuleType], object], path: Path, label: str, hidden: bool) -> CheckResult:
    name = fn.__name__.removeprefix("check_")
    doc = (fn.__doc__ or name.replace("_", " ")).strip().splitlines()[0]
    try:
        with redirect_stdout(io.StringIO()):  # the student's prints would bury the feedback
            fn(load_module(path, label))
    except CheckFailed as err:
        return CheckResult(name, doc, False, str(err), hidden)
    except Exception as err:  # the student's code may raise anything: report, never crash
        return CheckResult(name, doc, False, explain_exception(err, path), hidden)
    return CheckResult(name, doc, True, "", hidden)


def check(
    exercise_id: str,
    solution: bool = False,
    hidden: bool = False,
    root: str | Path | None = None,
    *,
    student_file: str | Path | None = None,
) -> CheckReport:
    """Run an exercise's checks against the student's file (or the reference solution).

    Args:
        exercise_id: ``"ex03"`` (also ``3`` or the folder name).
        solution: check the reference solution instead of ``student.py``.
        hidden: also run the instructors' hidden checks.
        root: where ``exercises/`` is (see the module docstring).
        student_file: check this file instead (grading a collected submission).

    Never raises for the student's mistakes: each one is a failed result with feedback.

    Raises:
        InvalidParameterError: no such exercise.
        NotFoundError: a file is missing (a hand-out has no solutions and no hidden checks).
    """
    ex = get(exercise_id, root)
    path, target = ex.student_path, "student.py"
    if solution:
        path, target = ex.solution_path, "reference solution"
    elif student_file is not None:
        path, target = Path(student_file).resolve(), str(student_file)
    needed = [path, ex.checks_path] + ([ex.hidden_path] if hidden else [])
    for file in needed:
        if not file.is_file():
            raise NotFoundError(
                f"{ex.id}: {file} does not exist (a hand-out has no solutions/ and no hidden/)"
            )
    label = f"{ex.id}_target"
    try:
        with redirect_stdout(io.StringIO()):
            load_module(path, label)
    except Exception as err:
        failure = CheckResult("load", f"{path.name} loads", False, explain_exception(err, path))
        return CheckReport(ex, target, (failure,))
    public = load_module(ex.checks_path, f"{ex.id}_checks")
    suites = [(public, False)]
    if hidden:
        suites.append((load_module(ex.hidden_path, f"{ex.id}_hidden"), True))
    results = tuple(
        _run(fn, path, label, is_hidden)
        for suite, is_hidden in suites
        for name, fn in vars(suite).items()
        if name.startswith("check_") and callable(fn) and fn.__module__ == suite.__name__
    )
    reveal = getattr(public, "reveal", None)
    text = ""
    if results and all(r.passed for r in results) and callable(reveal):
        with redirect_stdout(io.StringIO()):
            text = str(reveal(load_module(path, label)))
    return CheckReport(ex, target, results, text)


def exercise_command(argv: Sequence[str] | None = None) -> int:
    """``wfpsim exercise list [--json]`` and ``wfpsim exercise check ID [--solution] [--hidden]``.

    Exit status: 0 when every check passes (``list``: always), 1 when one fails, 2 for bad
    input (unknown id, no exercises folder, no solution in a hand-out).
    """
    parser = argparse.ArgumentParser(prog="wfpsim exercise", description="classroom exercises")
    sub = parser.add_subparsers(dest="action", required=True)
    p_list = sub.add_parser("list", help="list the exercises: id, kind, title, topics")
    p_check = sub.add_parser("check", help="run an exercise's checks (exit 0 when all pass)")
    p_check.add_argument("id", help="an exercise id, e.g. ex03")
    p_check.add_argument("--solution", action="store_true", help="check the reference solution")
    p_check.add_argument("--hidden", action="store_true", help="also run the hidden checks")
    p_check.add_argument("--file", help="check this student file instead of student.py")
    for p in (p_list, p_check):
        p.add_argument("--json", action="store_true", help="print JSON")
        p.add_argument("--root", help="the exercises/ folder (or a folder holding it)")
    args = parser.parse_args(argv)
    try:
        if args.action == "list":
            items = exercises(args.root)
            if args.json:
                print(json.dumps([e.to_json() for e in items], indent=2, ensure_ascii=False))
                return 0
            from wfpsim.report import text_table

            rows = [("id", "kind", "title", "topics")]
            print(text_table(rows + [(e.id, e.kind, e.title, ", ".join(e.topics)) for e in items]))
            return 0
        report = check(args.id, args.solution, args.hidden, args.root, student_file=args.file)
    except WfpError as err:
        print(f"wfpsim exercise: {err}", file=sys.stderr)
        return 2
    print(json.dumps(report.to_json(), indent=2, ensure_ascii=False) if args.json else report)
    return 0 if report.passed else 1


if __name__ == "__main__":  # python -m wfpsim.exercise: use the importable module's classes
    from wfpsim.exercise import exercise_command as _command

    raise SystemExit(_command())
