"""Grading a class: every attack fails with a message, the correct student gets full marks,
the CSV and the feedback files are complete (a small class and a short timeout, to stay fast)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from wfpsim.exercise import check, exercise_command, get
from wfpsim.exercise.grading import read_roster
from wfpsim.exercise.plain import Unplain, from_plain, to_plain

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises"
TIMEOUT = 15.0

#: Student files that try to pass without doing the exercise (ex03), and why each must fail.
ATTACKS = {
    "exit_at_import": (
        "import sys\n\nprint('6 of 6 checks passed: all pass.')\nsys.exit(0)\n",
        "sys.exit",
    ),
    "os_exit": ("import os\n\nos._exit(0)\n", "os._exit"),
    "monkeypatch": (
        "import wfpsim.exercise\nimport wfpsim.exercise.checking\n\n"
        "wfpsim.exercise.expect = wfpsim.exercise.checking.expect = lambda *a, **k: None\n",
        "changed the checker",
    ),
    "reads_solution": (
        "from pathlib import Path\n\nimport wfpsim\n\n"
        "root = Path(wfpsim.__file__).resolve().parents[1] / 'exercises'\n"
        "exec((root / 'solutions' / 'ex03_permit_that_loses.py').read_text())\n",
        "does not let a graded file read",
    ),
    "forges_results": (
        'import os\n\nline = b\'{"result": {"name": "structure", "hidden": false, '
        '"message": ""}}\\n{"done": true}\\n\'\nfor fd in range(3, 256):\n'
        "    try:\n        os.write(fd, line)\n    except OSError:\n        pass\n"
        "os._exit(0)\n",
        "os._exit",
    ),
    "syntax_error": ("def add_backup_rules(engine:\n    pass\n", "does not compile"),
    "endless_loop": ("while True:\n    pass\n", f"did not finish in {TIMEOUT:g} s"),
    "memory_bomb": (
        "hog = []\nwhile True:\n    hog.append(bytearray(50_000_000))\n",
        "out of memory",
    ),
    "kills_itself": (
        "import os\nimport signal\n\nos.kill(os.getpid(), signal.SIGKILL)\n",
        "SIGKILL",
    ),
}


def hand_in(base: Path, student: str, exercise_id: str, source: str | Path) -> None:
    """Put a student's file where `wfpsim exercise handout` puts it."""
    folder = base / student / "exercises" / get(exercise_id, EXERCISES).folder.name
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "student.py"
    if isinstance(source, Path):
        shutil.copyfile(source, target)
    else:
        target.write_text(source)


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A class graded once: two correct students (first and last), every attack, a stub, a
    missing student and one not in the roster; ex03 and ex02."""
    tmp = tmp_path_factory.mktemp("class")
    subs = tmp / "submissions"
    ex03, ex02 = get("ex03", EXERCISES), get("ex02", EXERCISES)
    for student in ("aaa_correct", "zzz_correct"):
        hand_in(subs, student, "ex03", ex03.solution_path)
        hand_in(subs, student, "ex02", ex02.solution_path)
    for name, (source, _) in ATTACKS.items():
        hand_in(subs, name, "ex03", source)
    hand_in(subs, "stub", "ex03", ex03.student_path)
    hand_in(subs, "stub", "ex02", ex02.student_path)
    hand_in(subs, "not_enrolled", "ex02", ex02.solution_path)
    roster = tmp / "roster.csv"
    names = ["aaa_correct", *ATTACKS, "stub", "missing", "zzz_correct"]
    roster.write_text("student,email\n" + "".join(f"{n},{n}@school\n" for n in names))
    out, feedback = tmp / "grades.csv", tmp / "feedback"
    argv = [
        "grade", str(subs), "--out", str(out), "--exercise", "ex03", "--exercise", "ex02",
        "--hidden", "--timeout", str(TIMEOUT), "--roster", str(roster),
        "--feedback", str(feedback), "--jobs", "2", "--root", str(EXERCISES),
    ]  # fmt: skip
    assert exercise_command(argv) == 0
    return out, feedback, roster


def rows(out: Path) -> dict[str, dict[str, str]]:
    with out.open(newline="") as f:
        return {r["student"]: r for r in csv.DictReader(f)}


def test_csv_layout(graded: tuple[Path, Path, Path]) -> None:
    """Header student, one column per exercise, total; one row per roster student, roster
    order, then students found but not in the roster."""
    out, _, roster = graded
    with out.open(newline="") as f:
        table = list(csv.reader(f))
    assert table[0] == ["student", "ex03", "ex02", "total"]
    assert [r[0] for r in table[1:]] == [*read_roster(roster), "not_enrolled"]


def test_correct_students_get_full_marks_whatever_the_order(
    graded: tuple[Path, Path, Path],
) -> None:
    """Graded before and after every attacker, a correct file earns every point."""
    grades = rows(graded[0])
    full03 = check("ex03", solution=True, hidden=True, root=EXERCISES).points[1]
    full02 = check("ex02", solution=True, hidden=True, root=EXERCISES).points[1]
    for student in ("aaa_correct", "zzz_correct"):
        assert grades[student]["ex03"] == str(full03)
        assert grades[student]["ex02"] == str(full02)
        assert grades[student]["total"] == str(full03 + full02)


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_every_attacker_scores_zero_with_a_message(
    graded: tuple[Path, Path, Path], attack: str
) -> None:
    """Each attack earns 0 points, and the feedback says why."""
    out, feedback, _ = graded
    assert rows(out)[attack]["ex03"] == "0"
    text = (feedback / f"{attack}.txt").read_text()
    assert ATTACKS[attack][1] in text, text
    assert (feedback / f"{attack}.html").read_text().startswith("<!doctype html>")


def test_untouched_stub_and_missing_student(graded: tuple[Path, Path, Path]) -> None:
    """An untouched stub scores 0; a missing student has a row of zeros and feedback saying so."""
    out, feedback, _ = graded
    grades = rows(out)
    assert grades["stub"]["total"] == "0"
    assert [grades["missing"][k] for k in ("ex03", "ex02", "total")] == ["0", "0", "0"]
    assert "no submission" in (feedback / "missing.txt").read_text()
    assert "not in the roster" in (feedback / "not_enrolled.txt").read_text()


def test_feedback_lists_every_check_with_points(graded: tuple[Path, Path, Path]) -> None:
    """A student's feedback names every check of every exercise, hidden ones included with
    --hidden, and the points."""
    _, feedback, _ = graded
    report = check("ex03", solution=True, hidden=True, root=EXERCISES)
    text = (feedback / "aaa_correct.txt").read_text()
    for r in report.results:
        assert r.description in text
    assert "(hidden)" in text and "points" in text


def test_check_command_reports_and_fails_an_exiting_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`wfpsim exercise check` prints a report for a file that exits, and exits 1."""
    bad = tmp_path / "bad.py"
    bad.write_text(ATTACKS["os_exit"][0])
    code = exercise_command(["check", "ex03", "--file", str(bad), "--root", str(EXERCISES)])
    out = capsys.readouterr().out
    assert code == 1
    assert "[FAIL]" in out and "os._exit" in out and "0 of" in out


def test_handout_holds_no_solutions(tmp_path: Path) -> None:
    """`wfpsim exercise handout` writes every exercise folder, no solutions, hidden or guide."""
    out = tmp_path / "handout"
    assert exercise_command(["handout", str(out), "--root", str(EXERCISES)]) == 0
    names = {p.name for p in out.iterdir()}
    assert not names & {"solutions", "hidden", "INSTRUCTORS.md"}
    assert {e.folder.name for e in map(lambda i: get(i, EXERCISES), ["ex01", "ex13"])} <= names
    assert not list(out.rglob("*solution*"))
    report = check("ex03", root=out)
    assert not report.passed and report.results
    assert exercise_command(["handout", str(out), "--root", str(EXERCISES)]) == 2


def test_plain_values_round_trip() -> None:
    """Answers cross processes as data; anything else arrives as a named stand-in."""
    value = {"a": ("PERMIT", None), "b": [1, 2.5, True], "c": {"x", "y"}}
    assert from_plain(to_plain(value)) == value
    assert from_plain(to_plain(object())) == Unplain("object")


def relabelled_solution(tmp_path: Path, exercise_id: str, seed: str) -> Path:
    """The reference solution rewritten for a student's variant (their case letters)."""
    from wfpsim.exercise.variants import labels, use_seed

    use_seed(seed)
    try:
        mapping = labels(exercise_id)
    finally:
        use_seed(None)
    text = get(exercise_id, EXERCISES).solution_path.read_text()
    lines = text.splitlines()
    keyed = {
        line.strip()[1]: i
        for i, line in enumerate(lines)
        if line.strip()[:3] in {f'"{c}"' for c in mapping}
    }
    out = list(lines)
    for mine, theirs in mapping.items():
        out[keyed[mine]] = lines[keyed[theirs]].replace(f'"{theirs}":', f'"{mine}":', 1)
    inverse = {theirs: mine for mine, theirs in mapping.items()}
    for i, line in enumerate(out):
        if line.startswith("VETOES"):  # ex02: the veto cases, under the student's letters
            head, _, cases = line.partition("=")
            out[i] = head + "= " + repr({inverse[c] for c in eval(cases.strip())})
    path = tmp_path / f"{exercise_id}_{seed}.py"
    path.write_text("\n".join(out) + "\n")
    return path


@pytest.mark.parametrize("exercise_id", ["ex02", "ex13"])
def test_variant_relabels_the_cases(tmp_path: Path, exercise_id: str) -> None:
    """With a seed, the hand-out's answers no longer pass; the student's own variant does."""
    seed = "student-17"
    own = relabelled_solution(tmp_path, exercise_id, seed)
    assert check(exercise_id, hidden=True, root=EXERCISES, student_file=own, seed=seed).passed
    solution = get(exercise_id, EXERCISES).solution_path
    copied = check(exercise_id, root=EXERCISES, student_file=solution, seed=seed)
    assert not copied.passed


def test_variant_of_ex08_asks_for_another_family(tmp_path: Path) -> None:
    """ex08's variant may ask about IPv6: then the IPv4 answers fail and the _V6 ones pass."""
    from wfpsim.exercise.variants import address_family, use_seed

    def family(seed: str) -> int:
        use_seed(seed)
        try:
            return address_family()
        finally:
            use_seed(None)

    seed = next(s for s in (f"s{i}" for i in range(100)) if family(s) == 6)
    solution = get("ex08", EXERCISES).solution_path
    assert not check("ex08", root=EXERCISES, student_file=solution, seed=seed).passed
    text = solution.read_text()
    v6 = tmp_path / "ex08_v6.py"
    ping = next(line for line in text.splitlines() if '"first_ping_with_app"' in line)
    v6.write_text(text.replace("_V4", "_V6").replace(ping.replace("_V4", "_V6"), ping))
    report = check("ex08", hidden=True, root=EXERCISES, student_file=v6, seed=seed)
    assert report.passed, [r.message for r in report.results if not r.passed]


def test_variant_command(capsys: pytest.CaptureFixture[str]) -> None:
    """`wfpsim exercise variant ex02 --seed ID` says which case each letter stands for."""
    assert exercise_command(["variant", "ex02", "--seed", "alice", "--root", str(EXERCISES)]) == 0
    assert "your case a" in capsys.readouterr().out
    assert exercise_command(["variant", "ex05", "--seed", "alice", "--root", str(EXERCISES)]) == 2


def test_grade_with_variants_uses_the_student_id(tmp_path: Path) -> None:
    """`grade --variants`: a student's own variant earns full marks, a copied hand-out answer
    does not (the seed is the student's id)."""
    subs = tmp_path / "submissions"
    hand_in(subs, "alice", "ex02", relabelled_solution(tmp_path, "ex02", "alice"))
    hand_in(subs, "bob", "ex02", get("ex02", EXERCISES).solution_path)
    out = tmp_path / "grades.csv"
    argv = ["grade", str(subs), "--out", str(out), "--exercise", "ex02", "--variants"]
    assert exercise_command([*argv, "--root", str(EXERCISES)]) == 0
    grades = rows(out)
    full = check("ex02", solution=True, root=EXERCISES).points[1]
    assert grades["alice"]["ex02"] == str(full)
    assert int(grades["bob"]["ex02"]) < full
