"""Exercises: find them, check a student's file (or the reference solution), grade a class.

An exercise is a folder ``exercises/exNN_<slug>/`` with ``exercise.toml`` (title, kind, topics,
the tutorial it follows), ``student.py`` (what the student fills in), ``checks.py`` (the public
checks) and ``exercise.ipynb``. Reference solutions live apart in
``exercises/solutions/exNN_<slug>.py`` and hidden checks in ``exercises/hidden/exNN.py``, so a
hand-out is the folder without those two (:func:`handout` writes one).

:func:`check` runs the student's file in a process of its own and the checks in a judge process
the student's code never runs in, in temporary copies of the exercise, under a time limit
(:mod:`wfpsim.exercise.isolation`); :func:`grade` does it for a
class (:mod:`wfpsim.exercise.grading`). How checks are written: :mod:`wfpsim.exercise.checking`.
Where ``exercises/`` is found: :mod:`wfpsim.exercise.finding`.

>>> [e.id for e in exercises()][:2]
['ex01', 'ex02']
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from wfpsim.errors import NotFoundError
from wfpsim.exercise.checking import (
    CheckFailed,
    CheckReport,
    CheckResult,
    expect,
    expect_no_faults,
    explain_exception,
    load_module,
)
from wfpsim.exercise.finding import ENV_ROOT, Exercise, exercises, find_root, get
from wfpsim.exercise.isolation import DEFAULT_TIMEOUT, run_checks

__all__ = [
    "ENV_ROOT",
    "CheckFailed",
    "CheckReport",
    "CheckResult",
    "Exercise",
    "check",
    "exercise_command",
    "exercises",
    "expect",
    "expect_no_faults",
    "explain_exception",
    "find_root",
    "get",
    "load_module",
    "public_checks",
    "student",
]


def student(exercise_id: str, root: str | Path | None = None) -> ModuleType:
    """The student's file of an exercise, freshly loaded (to try it out in a notebook)."""
    ex = get(exercise_id, root)
    return load_module(ex.student_path, f"{ex.id}_student")


def public_checks(hidden_file: str | Path) -> ModuleType:
    """The public checks of the exercise a hidden checks file (``hidden/exNN.py``) extends."""
    path = Path(hidden_file).resolve()
    ex = get(path.stem, path.parent.parent)
    return load_module(ex.checks_path, f"{ex.id}_checks")


def check(
    exercise_id: str,
    solution: bool = False,
    hidden: bool = False,
    root: str | Path | None = None,
    *,
    student_file: str | Path | None = None,
    seed: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> CheckReport:
    """Run an exercise's checks against the student's file (or the reference solution).

    The file runs in a process of its own, in a temporary copy of the exercise without the
    solutions and the hidden checks, for at most ``timeout`` seconds; the checks run in another
    process, which never runs the student's code (:mod:`wfpsim.exercise.isolation`).

    Args:
        exercise_id: ``"ex03"`` (also ``3`` or the folder name).
        solution: check the reference solution instead of ``student.py``.
        hidden: also run the instructors' hidden checks.
        root: where ``exercises/`` is (see :mod:`wfpsim.exercise.finding`).
        student_file: check this file instead (grading a collected submission).
        seed: the student's variant of ex02, ex08 or ex13 (see :func:`variant`).
        timeout: seconds the file may take for all the checks.

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
    if not path.is_file():
        raise NotFoundError(
            f"{ex.id}: {path} does not exist (a hand-out has no solutions/ and no hidden/)"
        )
    return run_checks(ex, path, target, hidden=hidden, timeout=timeout, seed=seed)


def exercise_command(argv: list[str] | None = None) -> int:
    """``wfpsim exercise ...`` (see :mod:`wfpsim.exercise.command`)."""
    from wfpsim.exercise.command import main

    return main(argv)
