"""The otter-grader export: otter 7 grades a solution with full marks and a stub with zero."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from wfpsim.exercise import exercise_command, get
from wfpsim.exercise.isolation import listing

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises"


def need_otter() -> None:
    if importlib.util.find_spec("otter") is None:
        if os.environ.get("CI"):
            pytest.fail("otter-grader is not installed (the `test` extra installs it)")
        pytest.skip("otter-grader is not installed")


def otter(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "otter", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_export_writes_one_test_case_per_check(tmp_path: Path) -> None:
    """Every check becomes an otter test case with the same points and hidden flag."""
    out = tmp_path / "otter"
    assert exercise_command(["export-otter", str(out), "--root", str(EXERCISES)]) == 0
    for ex_id in ("ex01", "ex13"):
        text = (out / ex_id / "tests" / f"{ex_id}.py").read_text()
        found = listing(get(ex_id, EXERCISES), hidden=True)
        assert f"points = {found.points}" in text
        for c in found.checks:
            assert f"@test_case(name={c.name!r}, points={c.points}, hidden={c.hidden})" in text
        assert not list((out / ex_id).rglob("solutions"))
    assert exercise_command(["export-otter", str(out), "--root", str(EXERCISES)]) == 2


def test_otter_grades_solution_full_and_stub_zero(tmp_path: Path) -> None:
    """`otter generate` then `otter run` (no container): the solution earns every point, the
    untouched stub none."""
    need_otter()
    out = tmp_path / "otter"
    ex = get("ex03", EXERCISES)
    assert exercise_command(["export-otter", str(out), "--exercise", "ex03"]) == 0
    folder = out / "ex03"
    made = otter("generate", "exercises", cwd=folder)
    assert made.returncode == 0, made.stdout + made.stderr
    full = listing(ex, hidden=True).points
    for source, want in ((ex.solution_path, full), (ex.student_path, 0)):
        work = tmp_path / f"run-{want}"
        work.mkdir()
        submission = work / "student.py"
        shutil.copyfile(source, submission)
        ran = otter("run", "-a", str(folder / "autograder.zip"), str(submission), cwd=work)
        assert ran.returncode == 0, ran.stdout[-2000:] + ran.stderr[-2000:]
        results = json.loads((work / "results.json").read_text())
        tests = [t for t in results["tests"] if t.get("max_score")]
        assert sum(t["max_score"] for t in tests) == full
        assert sum(t["score"] for t in tests) == want, results
